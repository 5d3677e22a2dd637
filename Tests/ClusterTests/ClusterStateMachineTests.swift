import ClusterTestSupport
import Testing

// The event payloads' memberwise initialisers are internal to Cluster.
@testable import Cluster

// Event → actions, one input at a time (postgres-nio's style): every check states the whole
// list of actions the machine returns. Node0 of `baseConfiguration()` (RG0 200/100, RG1
// 150/100 with eth1 weight 255), 1 s heartbeats, threshold 3, hold-down RG1 1 s.

private let digest: UInt64 = 0xD1
private let epoch: UInt64 = 7
private let peerEpoch: UInt64 = 9
/// Node0's first nonce (the machine's seed is its epoch); the fixture peer echoes it and sends
/// none of its own (0), so node0 echoes 0.
private let nonce = FreshnessChallenge(seed: epoch).nonce

private func parse(_ text: String) throws -> ClusterConfiguration {
  try #require(ConfigurationParser.parse(text, file: "test.conf").configuration)
}

private func at(_ milliseconds: Int64) -> ClusterTime { .milliseconds(milliseconds) }

/// One RG as announced; healthy when the weight is above 0, effective priority as configured.
private func rg(
  _ id: UInt8, _ priority: UInt8, _ state: RedundancyGroupState, failovers: UInt32 = 1,
  effective: UInt8? = nil, weight: Int16 = 255, codes: FailureCodes = [],
  manualTarget: UInt8? = nil, manualGeneration: UInt32 = 0
) -> GroupAnnouncement {
  GroupAnnouncement(
    id: id, configuredPriority: priority, effectivePriority: effective ?? priority,
    weight: weight, state: state, healthy: weight > 0, failureCodes: codes,
    failoverCount: failovers, manualTarget: manualTarget, manualGeneration: manualGeneration,
    manualAuthor: 0)
}

/// What node0 sends.
private func heartbeat(
  _ sequence: UInt64, _ groups: [GroupAnnouncement], digest: UInt64 = digest,
  counterGeneration: UInt32 = 0
) -> ClusterAction {
  .sendHeartbeat(
    HeartbeatMessage(
      link: .control, clusterID: 1, nodeID: 0, bootEpoch: epoch, sequence: sequence,
      configDigest: digest, counterGeneration: counterGeneration, nonce: nonce, groups: groups))
}

/// What node1 sends.
private func fromPeer(_ sequence: UInt64, _ groups: [GroupAnnouncement]) -> HeartbeatMessage {
  HeartbeatMessage(
    link: .control, clusterID: 1, nodeID: 1, bootEpoch: peerEpoch, sequence: sequence,
    configDigest: digest, counterGeneration: 0, echoedNonce: nonce, groups: groups)
}

private func changed(
  _ group: Int, _ from: RedundancyGroupState, _ to: RedundancyGroupState, _ reason: String,
  failovers: Int = 1, priority: Int, peer: Int? = nil
) -> ClusterAction {
  .emit(
    .groupStateChanged(
      GroupStateChange(
        group: group, from: from, to: to, reason: reason, failoverCount: failovers,
        localPriority: priority, peerPriority: peer)))
}

private func interface(_ state: LinkState, groupWeight: Int) -> ClusterAction {
  .emit(
    .interfaceMonitorChanged(
      InterfaceMonitorChange(
        group: 1, index: 1, interface: "eth1", state: state, monitorWeight: 255,
        groupWeight: groupWeight)))
}

/// Both RGs primary on node0, alone; its second heartbeat went out at 3 s.
private func alonePrimary() throws -> ClusterStateMachine {
  var machine = ClusterStateMachine(
    configuration: try parse(baseConfiguration()), localNode: 0, bootEpoch: epoch,
    configDigest: digest)
  _ = machine.start(now: at(0), interfaces: ["eth1": .up])
  _ = machine.tick(now: at(3000))
  return machine
}

/// `alonePrimary`, then node1 is heard at 3.5 s as secondary for both RGs.
private func primaryWithPeer() throws -> ClusterStateMachine {
  var machine = try alonePrimary()
  _ = machine.messageReceived(
    fromPeer(1, [rg(0, 100, .secondary), rg(1, 100, .secondary)]), now: at(3500))
  return machine
}

private let bothPrimary = [rg(0, 200, .primary), rg(1, 150, .primary)]

@Suite("ClusterStateMachine: event → actions")
struct ClusterStateMachineTests {
  // MARK: - reconfigure

  @Test func reconfigureWithTheSameConfigurationOnlyAnnounces() throws {
    var machine = try alonePrimary()
    let same = try parse(baseConfiguration())
    #expect(machine.reconfigure(same, digest: digest, now: at(3500)) == [heartbeat(3, bothPrimary)])
  }

  @Test func reconfigureElectsANewGroupAtOnce() throws {
    var machine = try alonePrimary()
    let more = try parse(
      baseConfiguration(
        """
        set chassis cluster redundancy-group 2 node 0 priority 120
        set chassis cluster redundancy-group 2 node 1 priority 110
        """))
    #expect(
      machine.reconfigure(more, digest: digest, now: at(3500)) == [
        changed(2, .hold, .primary, "hold timer expired", priority: 120),
        heartbeat(3, bothPrimary + [rg(2, 120, .primary)]),
      ])
  }

  @Test func reconfigureDropsARemovedGroupSilently() throws {
    var machine = try alonePrimary()
    let fewer = try parse(
      """
      set chassis cluster cluster-id 1
      set chassis cluster redundancy-group 0 node 0 priority 200
      set chassis cluster redundancy-group 0 node 1 priority 100

      """)
    #expect(
      machine.reconfigure(fewer, digest: digest, now: at(3500)) == [
        heartbeat(3, [rg(0, 200, .primary)])
      ])
  }

  @Test func reconfigureWithAnotherDigestRaisesConfigSync() throws {
    var machine = try primaryWithPeer()
    let same = try parse(baseConfiguration())
    #expect(
      machine.reconfigure(same, digest: 0xD2, now: at(3600)) == [
        .emit(.configMismatch(localDigest: 0xD2, peerDigest: digest)),
        heartbeat(
          4,
          [rg(0, 200, .primary, codes: .configSync), rg(1, 150, .primary, codes: .configSync)],
          digest: 0xD2),
      ])
  }

  // MARK: - Timers

  @Test func startSendsTheFirstHeartbeatAtOnce() throws {
    var machine = ClusterStateMachine(
      configuration: try parse(baseConfiguration()), localNode: 0, bootEpoch: epoch,
      configDigest: digest)
    #expect(
      machine.start(now: at(0), interfaces: ["eth1": .up]) == [
        heartbeat(1, [rg(0, 200, .hold, failovers: 0), rg(1, 150, .hold, failovers: 0)])
      ])
    #expect(machine.nextDeadline == at(1000))
  }

  @Test func tickBeforeTheIntervalDoesNothingAndAtItSendsTheNextHeartbeat() throws {
    var machine = ClusterStateMachine(
      configuration: try parse(baseConfiguration()), localNode: 0, bootEpoch: epoch,
      configDigest: digest)
    _ = machine.start(now: at(0), interfaces: ["eth1": .up])
    #expect(machine.tick(now: at(999)) == [])
    #expect(
      machine.tick(now: at(1000)) == [
        heartbeat(2, [rg(0, 200, .hold, failovers: 0), rg(1, 150, .hold, failovers: 0)])
      ])
  }

  @Test func holdTimerElectsALonelyNode() throws {
    var machine = ClusterStateMachine(
      configuration: try parse(baseConfiguration()), localNode: 0, bootEpoch: epoch,
      configDigest: digest)
    _ = machine.start(now: at(0), interfaces: ["eth1": .up])
    #expect(
      machine.tick(now: at(2999)) == [
        heartbeat(2, [rg(0, 200, .hold, failovers: 0), rg(1, 150, .hold, failovers: 0)])
      ])
    #expect(
      machine.tick(now: at(3000)) == [
        changed(0, .hold, .primary, "hold timer expired", priority: 200),
        changed(1, .hold, .primary, "hold timer expired", priority: 150),
        heartbeat(3, bothPrimary),
      ])
  }

  @Test func secondaryHoldEndsWhenHoldDownExpires() throws {
    var machine = try primaryWithPeer()
    _ = machine.requestManualFailover(group: 1, node: 1, now: at(4000))
    let handedOver = [
      rg(0, 200, .primary), rg(1, 150, .secondaryHold, manualTarget: 1, manualGeneration: 1),
    ]
    #expect(machine.tick(now: at(4999)) == [])
    #expect(
      machine.tick(now: at(5000)) == [
        changed(
          1, .secondaryHold, .secondary, "ready to become secondary", priority: 150, peer: 100),
        heartbeat(
          5, [handedOver[0], rg(1, 150, .secondary, manualTarget: 1, manualGeneration: 1)]),
      ])
  }

  // MARK: - Operator requests

  @Test func peerIsFoundAndAnsweredAtOnce() throws {
    var machine = try alonePrimary()
    #expect(
      machine.messageReceived(
        fromPeer(1, [rg(0, 100, .secondary), rg(1, 100, .secondary)]), now: at(3500)) == [
          .emit(.peerFound(restarted: false)), heartbeat(3, bothPrimary),
        ])
  }

  @Test func manualFailoverRefusals() throws {
    var machine = try alonePrimary()
    #expect(
      machine.requestManualFailover(group: 5, node: 1, now: at(3500))
        == .failure(RequestRefusal("redundancy-group 5 is not configured")))
    #expect(
      machine.requestManualFailover(group: 1, node: 1, now: at(3500))
        == .failure(RequestRefusal("node1 is not reachable (peer unknown)")))
    #expect(
      machine.requestManualFailover(group: 1, node: 0, now: at(3500))
        == .failure(RequestRefusal("node0 is already primary for redundancy-group 1")))
    // A refused request leaves nothing behind.
    #expect(machine.tick(now: at(3600)) == [])
  }

  @Test func manualFailoverAcceptedHandsTheGroupOver() throws {
    var machine = try primaryWithPeer()
    #expect(
      machine.requestManualFailover(group: 1, node: 1, requestedBy: 0, now: at(4000))
        == .success([
          .emit(.manualFailoverRequested(group: 1, node: 1, requestedBy: 0)),
          changed(1, .primary, .secondaryHold, "manual failover", priority: 150, peer: 100),
          heartbeat(
            4,
            [
              rg(0, 200, .primary),
              rg(1, 150, .secondaryHold, manualTarget: 1, manualGeneration: 1),
            ]),
        ]))
  }

  @Test func manualFailoverBackIsRefusedDuringHoldDown() throws {
    var machine = try primaryWithPeer()
    _ = machine.requestManualFailover(group: 1, node: 1, now: at(4000))
    #expect(
      machine.requestManualFailover(group: 1, node: 0, now: at(4400))
        == .failure(
          RequestRefusal(
            "redundancy-group 1 hold-down interval has not expired: 0.600 s remaining")))
  }

  @Test func clearFailoverCountStartsANewGeneration() throws {
    var machine = try alonePrimary()
    #expect(
      machine.clearFailoverCount(requestedBy: 0, now: at(3500)) == [
        .emit(.failoverCountCleared(requestedBy: 0)),
        heartbeat(
          3, [rg(0, 200, .primary, failovers: 0), rg(1, 150, .primary, failovers: 0)],
          counterGeneration: 1),
      ])
  }

  // MARK: - Monitors

  @Test func monitorFailureAloneLowersTheWeightOnly() throws {
    var machine = try alonePrimary()
    let failed = rg(1, 150, .primary, effective: 0, weight: 0, codes: .interface)
    #expect(
      machine.interfaceChanged("eth1", state: .down, now: at(3500)) == [
        interface(.down, groupWeight: 0), heartbeat(3, [rg(0, 200, .primary), failed]),
      ])
    #expect(
      machine.interfaceChanged("eth1", state: .up, now: at(3600)) == [
        interface(.up, groupWeight: 255), heartbeat(4, bothPrimary),
      ])
  }

  @Test func monitorFailureWithAPeerFailsOver() throws {
    var machine = try primaryWithPeer()
    #expect(
      machine.interfaceChanged("eth1", state: .down, now: at(4000)) == [
        interface(.down, groupWeight: 0),
        changed(1, .primary, .secondaryHold, "monitor failure (IF)", priority: 0, peer: 100),
        heartbeat(
          4,
          [
            rg(0, 200, .primary),
            rg(1, 150, .secondaryHold, effective: 0, weight: 0, codes: .interface),
          ]),
      ])
  }

  // MARK: - election order

  @Test func aHealthySecondaryBeatsAPeerInSecondaryHoldWhateverThePriorities() throws {
    // Both nodes rank the same way, so the node that just gave the RG up never takes it back
    // on priority while the other is taking it (the soak's fabric-flap dual primary).
    let holding = Candidate(
      node: 1, available: true, healthy: true, manualTarget: false, configuredPriority: 150,
      state: .secondaryHold)
    var secondary = Candidate(
      node: 0, available: true, healthy: true, manualTarget: false, configuredPriority: 100,
      state: .secondary)
    #expect(secondary.beats(holding))
    #expect(!holding.beats(secondary))
    let machine = try primaryWithPeer()
    #expect(
      machine.electionReason(winner: secondary, loser: holding, group: 1)
        == "node1 secondary-hold")
    secondary.healthy = false  // an unhealthy secondary still loses to a healthy one
    #expect(holding.beats(secondary))
  }
}
