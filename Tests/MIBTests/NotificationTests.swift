import ClusterTestSupport
import Testing

// The event payloads' memberwise initialisers are internal to Cluster.
@testable import Cluster
@testable import MIB

@Suite("NotificationBuilder: events to NOTIFICATION-TYPEs with indexed varbinds")
struct NotificationTests {
  typealias D = MIBDefinition

  /// Every kind of event on both nodes: a configuration mismatch (node1 retries one more ping),
  /// monitor failure and recovery, link cuts, split brain, a crash and a reboot.
  static let lifecycle = ScenarioRun(
    Scenarios.configuration + Scenarios.reths + """
      ---
      +0s boot node0
      +0s boot node1
      +5s link down node0 eth1
      +1s link up node0 eth1
      +0s ip unreachable node0 192.0.2.1
      +8s ip reachable node0 192.0.2.1
      +3s cut control-link
      +5s heal control-link
      +5s cut fabric-link
      +5s heal fabric-link
      +5s cut control-link
      +0s cut fabric-link
      +5s heal control-link
      +0s heal fabric-link
      +5s crash node1
      +5s boot node1
      +5s status
      """,
    configurations: [
      Scenarios.configuration + Scenarios.reths,
      Scenarios.configuration + Scenarios.reths
        + "set chassis cluster redundancy-group 2 ip-monitoring retry-count 6\n",
    ])

  static func notifications(_ event: ClusterEvent, _ view: MIBView) -> [SNMPNotification] {
    NotificationBuilder.notifications(for: event, in: view)
  }

  /// The varbinds follow the OBJECTS clause, with scalar instances `.0` and rows indexed by
  /// the group, the local node or the monitor, and each value has its object's type.
  static func checkShape(_ notification: SNMPNotification, local: UInt32) {
    let definition = notification.definition
    #expect(definition.kind == .notification)
    #expect(notification.oid.hasPrefix(D.notificationsRoot))
    var names: [String] = []
    var group: UInt32?
    for varbind in notification.varbinds {
      guard let (object, index) = D.object(of: varbind.oid) else {
        Issue.record("\(varbind.oid) is no object of the MIB")
        continue
      }
      names.append(object.name)
      #expect(varbind.value.smiType == object.type, "\(varbind)")
      switch object.kind {
      case .scalar:
        #expect(index == [0], "\(varbind)")
      case .column where object.oid.hasPrefix(D.ccRedundancyGroupEntry.oid):
        #expect(index.count == 1, "\(varbind)")
      case .column where object.oid.hasPrefix(D.ccRedundancyGroupNodeEntry.oid):
        #expect(index.count == 2 && index[1] == local, "\(varbind)")
      case .column where object.oid.hasPrefix(D.ccRethEntry.oid):
        #expect(index.count == 1, "\(varbind)")
      default:
        #expect(index.count == 2, "\(varbind)")
      }
      // Every row varbind of one notification is about the same group (split brain aside).
      if object.kind == .column, definition != D.ccSplitBrainDetected {
        if let group { #expect(index[0] == group, "\(varbind)") }
        group = index[0]
      }
    }
    #expect(Array(names.prefix(definition.objects.count)) == definition.objects)
    let extra = names.dropFirst(definition.objects.count)
    if definition == D.ccSplitBrainDetected {
      #expect(!extra.isEmpty && extra.allSatisfy { $0 == D.ccRgNodeState.name })
    } else if definition == D.ccRethAddressRestored {
      #expect(extra.allSatisfy { $0 == D.ccRethAddrText.name })
    } else {
      #expect(extra.isEmpty, "\(definition.name): \(extra)")
    }
    #expect(notification.pduVarbinds.first?.oid == SNMPNotification.snmpTrapOID)
    #expect(notification.pduVarbinds.first?.value == .objectIdentifier(notification.oid))
  }

  @Test func everyEventOfALifecycleBuildsWellFormedNotifications() throws {
    var sent: Set<String> = []
    for node in 0...1 {
      let view = try #require(Self.lifecycle.view(0, node: node))
      // The data plane's repairs are the shell's reports, not the simulator's: add one.
      let restore = Self.restore(linkRestored: true, positions: [0, 1])
      for event in Self.lifecycle.events(node: node).map(\.event) + [restore] {
        for notification in Self.notifications(event, view) {
          Self.checkShape(notification, local: UInt32(node))
          sent.insert(notification.name)
        }
      }
    }
    // The LAN path and the witness, and session sync (the core's events from conntrackd's
    // reports, which the simulation does not make).
    let prevention = Scenarios.splitBrainPrevention
    for node in 0...1 {
      let view = try #require(prevention.view(3, node: node))
      let events =
        prevention.events(node: node).map(\.event) + NotificationSessionSyncTests.events(node: node)
      for event in events {
        for notification in Self.notifications(event, view) {
          Self.checkShape(notification, local: UInt32(node))
          sent.insert(notification.name)
        }
      }
    }
    // Together they produce every notification the MIB defines.
    let all = Set(D.all.filter { $0.kind == .notification }.map(\.name))
    #expect(all.subtracting(sent).sorted() == [])
  }

  /// What the machine makes of the data plane's report of a repair of reth0.
  static func restore(linkRestored: Bool, positions: [Int], restores: Int = 1) -> ClusterEvent {
    var machine = ClusterStateMachine(
      configuration: lifecycle.configuration, localNode: 0, bootEpoch: 1, configDigest: 0)
    let actions = machine.rethRestored(
      "reth0", link: linkRestored, addresses: positions, restores: restores, now: .zero)
    guard case .emit(let event)? = actions.first else { return .configMatch }
    return event
  }

  @Test func rethStatusChangesCarryTheRethAndItsNewStatus() throws {
    let view = try #require(Self.lifecycle.view(0, node: 1))
    let changes = Self.lifecycle.events(node: 1).compactMap { entry -> RethStatusChange? in
      guard case .rethStatusChanged(let change) = entry.event, change.reth == "reth0" else {
        return nil
      }
      return change
    }
    // node1 took reth0 when node0 lost eth1.
    let change = try #require(changes.first)
    #expect(change.active && change.group == 1)
    let sent = Self.notifications(.rethStatusChanged(change), view)
    #expect(sent.map(\.name) == ["ccRethStatusChange"])
    #expect(sent.first?.oid == D.notificationsRoot + [16])
    #expect(
      sent.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRethName.oid + [0], value: .displayString("reth0")),
        VarBind(oid: D.ccRethRgId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRethOperStatus.oid + [0], value: .integer(1)),
      ])
    var down = change
    down.active = false
    #expect(
      Self.notifications(.rethStatusChanged(down), view).first?.varbinds.last
        == VarBind(oid: D.ccRethOperStatus.oid + [0], value: .integer(2)))
  }

  @Test func aRestoreListsTheAddressesPutBack() throws {
    let view = try #require(Self.lifecycle.view(0, node: 0))
    let sent = Self.notifications(
      Self.restore(linkRestored: false, positions: [1], restores: 3), view)
    #expect(sent.map(\.name) == ["ccRethAddressRestored"])
    #expect(sent.first?.oid == D.notificationsRoot + [17])
    #expect(
      sent.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(0)),
        VarBind(oid: D.ccRethName.oid + [0], value: .displayString("reth0")),
        VarBind(oid: D.ccRethRgId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRethOperStatus.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRethRestores.oid + [0], value: .counter32(3)),
        VarBind(oid: D.ccRethAddrText.oid + [0, 2], value: .displayString("2001:db8:5::1")),
      ])
    // Only the link was set up again: no address varbind.
    let link = Self.notifications(Self.restore(linkRestored: true, positions: []), view)
    #expect(link.first?.varbinds.count == 5)
    // A position the configuration does not have is not reported.
    let stale = Self.notifications(Self.restore(linkRestored: false, positions: [7]), view)
    #expect(stale.first?.varbinds.count == 5)
  }

  @Test func stateChangeToPrimaryAlsoSendsFailover() throws {
    let run = Scenarios.busy
    let view = try #require(run.view(1, node: 1))
    let change = try #require(
      run.events(node: 1).compactMap { event -> GroupStateChange? in
        guard case .groupStateChanged(let c) = event.event, c.group == 0, c.to == .primary
        else { return nil }
        return c
      }.first)
    #expect(change.from == .secondary)
    let sent = Self.notifications(.groupStateChanged(change), view)
    #expect(sent.map(\.name) == ["ccRgStateChange", "ccRgFailover"])
    let reason = SNMPValue.octetString(Array("manual failover".utf8))
    #expect(
      sent[0].varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRgNodeState.oid + [0, 1], value: .integer(2)),
        VarBind(oid: D.ccRgNodeEffectivePriority.oid + [0, 1], value: .unsigned(255)),
        VarBind(oid: D.ccRgFailoverCount.oid + [0], value: .counter32(2)),
        VarBind(oid: D.ccRgLastFailoverReason.oid + [0], value: reason),
      ])
    #expect(
      sent[1].varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRgPrimaryNode.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccRgFailoverCount.oid + [0], value: .counter32(2)),
        VarBind(oid: D.ccRgLastFailoverReason.oid + [0], value: reason),
      ])
    #expect(sent[1].oid == D.notificationsRoot + [2])
  }

  @Test func stateChangeAwayFromPrimaryTakesTheReasonFromTheView() throws {
    let run = Scenarios.busy
    let view = try #require(run.view(1, node: 0))
    let change = GroupStateChange(
      group: 0, from: .primary, to: .secondaryHold, reason: "manual failover", failoverCount: 2,
      localPriority: 200, peerPriority: 255)
    let sent = Self.notifications(.groupStateChanged(change), view)
    #expect(sent.map(\.name) == ["ccRgStateChange"])
    #expect(sent[0].varbinds[1] == VarBind(oid: D.ccRgNodeState.oid + [0, 0], value: .integer(3)))
    #expect(sent[0].varbinds[4].value == view.get(D.ccRgLastFailoverReason.oid + [0]))
  }

  @Test func transitionsOutOfHoldSendNothing() throws {
    let view = try #require(Scenarios.busy.view(1, node: 0))
    for to in [RedundancyGroupState.primary, .secondary, .ineligible] {
      let change = GroupStateChange(
        group: 1, from: .hold, to: to, reason: "hold timer expired", failoverCount: 1,
        localPriority: 150, peerPriority: nil)
      #expect(Self.notifications(.groupStateChanged(change), view).isEmpty)
    }
    // Into hold is a change like any other (only "out of hold" is exempt).
    let back = GroupStateChange(
      group: 1, from: .secondary, to: .primary, reason: "peer lost", failoverCount: 3,
      localPriority: 150, peerPriority: nil)
    #expect(Self.notifications(.groupStateChanged(back), view).count == 2)
  }

  @Test func interfaceMonitorFailureAndRecovery() throws {
    let view = try #require(Scenarios.busy.view(1, node: 0))
    let down = InterfaceMonitorChange(
      group: 1, index: 1, interface: "eth1", state: .down, monitorWeight: 100, groupWeight: 155)
    let failure = Self.notifications(.interfaceMonitorChanged(down), view)
    #expect(failure.map(\.oid) == [D.notificationsRoot + [3]])
    #expect(
      failure.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(0)),
        VarBind(oid: D.ccIfMonName.oid + [1, 1], value: .octetString(Array("eth1".utf8))),
        VarBind(oid: D.ccIfMonWeight.oid + [1, 1], value: .unsigned(100)),
        VarBind(oid: D.ccIfMonStatus.oid + [1, 1], value: .integer(2)),
        VarBind(oid: D.ccRgNodeWeight.oid + [1, 0], value: .integer(155)),
      ])
    var absent = down
    absent.state = .absent
    #expect(
      Self.notifications(.interfaceMonitorChanged(absent), view).first?.varbinds[3].value
        == .integer(3))
    var up = down
    up.state = .up
    up.groupWeight = 255
    let recovery = Self.notifications(.interfaceMonitorChanged(up), view)
    #expect(recovery.map(\.name) == ["ccInterfaceMonitorRecovery"])
    #expect(recovery.first?.varbinds[3].value == .integer(1))
    #expect(recovery.first?.varbinds[4].value == .integer(255))
  }

  @Test func ipMonitorFailureAndRecovery() throws {
    let view = try #require(Scenarios.busy.view(1, node: 1))
    let lost = IPMonitorChange(
      group: 2, index: 2, address: "2001:db8::1", reachable: false, monitorWeight: 50,
      groupWeight: 255, remainingThreshold: 50)
    let failure = Self.notifications(.ipMonitorChanged(lost), view)
    #expect(failure.map(\.name) == ["ccIpMonitorFailure"])
    #expect(
      failure.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccIpMonAddressType.oid + [2, 2], value: .integer(2)),
        VarBind(
          oid: D.ccIpMonAddress.oid + [2, 2],
          value: .octetString([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])),
        VarBind(oid: D.ccIpMonWeight.oid + [2, 2], value: .unsigned(50)),
        VarBind(oid: D.ccIpMonStatus.oid + [2, 2], value: .integer(2)),
        VarBind(oid: D.ccRgNodeWeight.oid + [2, 1], value: .integer(255)),
      ])
    var back = lost
    back.reachable = true
    let recovery = Self.notifications(.ipMonitorChanged(back), view)
    #expect(recovery.map(\.oid) == [D.notificationsRoot + [6]])
    #expect(recovery.first?.varbinds[4].value == .integer(1))
  }

  @Test func linkAndPeerNotificationsCarryScalars() throws {
    let view = try #require(Scenarios.busy.view(1, node: 0))
    let local = VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(0))
    let heartbeats = VarBind(
      oid: D.ccHeartbeatsReceived.oid + [0],
      value: try #require(view.get(D.ccHeartbeatsReceived.oid + [0])))
    let probes = VarBind(
      oid: D.ccProbesReceived.oid + [0],
      value: try #require(view.get(D.ccProbesReceived.oid + [0])))
    let control = D.ccControlLinkStatus.oid + [0]
    let fabric = D.ccFabricLinkStatus.oid + [0]
    let peer = D.ccPeerStatus.oid + [0]
    let cases: [(ClusterEvent, MIBObject, [VarBind])] = [
      (
        .controlLinkDown(missedHeartbeats: 4, lastHeartbeatAgeMilliseconds: 2000),
        D.ccControlLinkDown, [local, VarBind(oid: control, value: .integer(2)), heartbeats]
      ),
      (
        .controlLinkUp, D.ccControlLinkUp,
        [local, VarBind(oid: control, value: .integer(1)), heartbeats]
      ),
      (
        .fabricLinkDown(missedProbes: 4, lastProbeAgeMilliseconds: nil), D.ccFabricLinkDown,
        [local, VarBind(oid: fabric, value: .integer(2)), probes]
      ),
      (.fabricLinkUp, D.ccFabricLinkUp, [local, VarBind(oid: fabric, value: .integer(1)), probes]),
      (
        .peerLost(lastMessageAgeMilliseconds: 2000), D.ccPeerLost,
        [local, VarBind(oid: peer, value: .integer(2))]
      ),
      (
        .peerFound(restarted: true), D.ccPeerFound, [local, VarBind(oid: peer, value: .integer(1))]
      ),
      (
        .configMismatch(localDigest: 1, peerDigest: 2), D.ccConfigMismatch,
        [local, VarBind(oid: D.ccConfigDigestStatus.oid + [0], value: .integer(2))]
      ),
    ]
    for (event, definition, varbinds) in cases {
      let sent = Self.notifications(event, view)
      #expect(sent.map(\.definition) == [definition], "\(event.name)")
      #expect(sent.first?.varbinds == varbinds, "\(event.name)")
    }
  }

  @Test func splitBrainDetectedListsEachGroupsState() throws {
    var snapshot = try #require(Scenarios.busy.snapshot(1, node: 1))
    snapshot.splitBrain.count = 3
    let view = ScenarioRun.view(snapshot, Scenarios.busy.configuration)
    let event = ClusterEvent.splitBrainDetected(
      SplitBrain(groups: [0, 2], localPriorities: [255, 200], peerPriorities: [200, 0]))
    let sent = Self.notifications(event, view)
    #expect(sent.map(\.name) == ["ccSplitBrainDetected"])
    #expect(
      sent.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccSplitBrainStatus.oid + [0], value: .integer(2)),
        VarBind(oid: D.ccSplitBrainCount.oid + [0], value: .counter32(3)),
        VarBind(oid: D.ccRgNodeState.oid + [0, 1], value: .integer(2)),
        VarBind(oid: D.ccRgNodeState.oid + [2, 1], value: .integer(2)),
      ])
    let resolved = Self.notifications(
      .splitBrainResolved(SplitBrainResolution(groups: [0, 2], winner: 1, reason: "priority")),
      view)
    #expect(
      resolved.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccSplitBrainStatus.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccSplitBrainCount.oid + [0], value: .counter32(3)),
      ])
    #expect(resolved.first?.oid == D.notificationsRoot + [14])
  }

  /// The view is the snapshot of a whole batch of actions: it can still (or again) show the
  /// resolved groups in split brain. The resolved notification describes the state after it.
  @Test func splitBrainResolvedSaysNoneForTheGroupsItResolves() throws {
    var snapshot = try #require(Scenarios.busy.snapshot(1, node: 1))
    snapshot.splitBrain.count = 2
    snapshot.splitBrain.active = [1]
    let view = ScenarioRun.view(snapshot, Scenarios.busy.configuration)
    #expect(view.get(D.ccSplitBrainStatus.oid + [0]) == .integer(2))
    let resolved = Self.notifications(
      .splitBrainResolved(SplitBrainResolution(groups: [1], winner: 0, reason: "priority")),
      view)
    #expect(
      resolved.first?.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccSplitBrainStatus.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccSplitBrainCount.oid + [0], value: .counter32(2)),
      ])
    // Another group still in split brain: detected(2) is the state after this resolution.
    snapshot.splitBrain.active = [0, 1]
    let partial = Self.notifications(
      .splitBrainResolved(SplitBrainResolution(groups: [1], winner: 0, reason: "priority")),
      ScenarioRun.view(snapshot, Scenarios.busy.configuration))
    #expect(
      partial.first?.varbinds[1] == VarBind(oid: D.ccSplitBrainStatus.oid + [0], value: .integer(2))
    )
  }

  @Test func eventsWithoutANotification() throws {
    let view = try #require(Scenarios.busy.view(1, node: 0))
    let quiet: [ClusterEvent] = [
      .configMatch,
      .manualFailoverRequested(group: 1, node: 1, requestedBy: 0),
      .manualFailoverReset(group: 1, requestedBy: nil, reason: "operator request"),
      .failoverCountCleared(requestedBy: 0),
      .preemptLimitReached(group: 1, limit: 2, periodSeconds: 600),
      .datagramRejected(link: .control, source: "10.0.0.2", reason: "bad digest"),
    ]
    for event in quiet {
      #expect(Self.notifications(event, view).isEmpty, "\(event.name)")
    }
  }
}
