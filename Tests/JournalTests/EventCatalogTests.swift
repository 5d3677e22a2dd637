import ClusterTestSupport
import Testing

// The event payloads' memberwise initialisers are internal to Cluster.
@testable import Cluster
@testable import Journal

private let context = sampleEventContext

/// Every `ClusterEvent` case; the switch makes a new case a compile error here.
private func caseName(_ event: ClusterEvent) -> String {
  switch event {
  case .groupStateChanged: "groupStateChanged"
  case .interfaceMonitorChanged: "interfaceMonitorChanged"
  case .ipMonitorChanged: "ipMonitorChanged"
  case .controlLinkDown: "controlLinkDown"
  case .controlLinkUp: "controlLinkUp"
  case .fabricLinkDown: "fabricLinkDown"
  case .fabricLinkUp: "fabricLinkUp"
  case .peerLost: "peerLost"
  case .peerFound: "peerFound"
  case .splitBrainDetected: "splitBrainDetected"
  case .splitBrainResolved: "splitBrainResolved"
  case .configMismatch: "configMismatch"
  case .configMatch: "configMatch"
  case .manualFailoverRequested: "manualFailoverRequested"
  case .manualFailoverReset: "manualFailoverReset"
  case .failoverCountCleared: "failoverCountCleared"
  case .preemptLimitReached: "preemptLimitReached"
  case .datagramRejected: "datagramRejected"
  case .lanLinkDown: "lanLinkDown"
  case .lanLinkUp: "lanLinkUp"
  case .witness(.lost): "witnessLost"
  case .witness(.found): "witnessFound"
  case .witness(.grantChanged): "witnessGrant"
  case .witness(.rejected): "witnessRejected"
  case .sessionSync: "sessionSync"
  case .rethStatusChanged: "rethStatusChanged"
  case .rethRestored: "rethRestored"
  }
}

private let allCaseNames: Set<String> = [
  "groupStateChanged", "interfaceMonitorChanged", "ipMonitorChanged", "controlLinkDown",
  "controlLinkUp", "fabricLinkDown", "fabricLinkUp", "peerLost", "peerFound",
  "splitBrainDetected", "splitBrainResolved", "configMismatch", "configMatch",
  "manualFailoverRequested", "manualFailoverReset", "failoverCountCleared",
  "preemptLimitReached", "datagramRejected", "sessionSync", "rethStatusChanged", "rethRestored",
  "lanLinkDown", "lanLinkUp", "witnessLost", "witnessFound", "witnessGrant", "witnessRejected",
]

private let rethAddress = try! RethAddress.parse("192.0.2.1/24", family: .inet).get()

private func stateChange(_ from: RedundancyGroupState, _ to: RedundancyGroupState, _ reason: String)
  -> ClusterEvent
{
  .groupStateChanged(
    GroupStateChange(
      group: 1, from: from, to: to, reason: reason, failoverCount: 2, localPriority: 200,
      peerPriority: nil))
}

private let sampleEvents: [ClusterEvent] = [
  stateChange(.primary, .secondaryHold, "monitor failure (IF)"),
  stateChange(.secondary, .primary, "peer lost"),
  stateChange(.hold, .primary, "hold timer expired"),
  .interfaceMonitorChanged(
    InterfaceMonitorChange(
      group: 1, index: 2, interface: "eth1", state: .down, monitorWeight: 255, groupWeight: 0)),
  .interfaceMonitorChanged(
    InterfaceMonitorChange(
      group: 1, index: 2, interface: "eth1", state: .up, monitorWeight: 255, groupWeight: 255)),
  .ipMonitorChanged(
    IPMonitorChange(
      group: 2, index: 1, address: "192.0.2.1", reachable: false, monitorWeight: 100,
      groupWeight: 155, remainingThreshold: 0)),
  .ipMonitorChanged(
    IPMonitorChange(
      group: 2, index: 1, address: "192.0.2.1", reachable: true, monitorWeight: 100,
      groupWeight: 255, remainingThreshold: 100)),
  .controlLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: 3012),
  .controlLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: nil),
  .controlLinkUp,
  .fabricLinkDown(missedProbes: 4, lastProbeAgeMilliseconds: 4000),
  .fabricLinkUp,
  .peerLost(lastMessageAgeMilliseconds: 3100),
  .peerFound(restarted: true),
  .splitBrainDetected(
    SplitBrain(groups: [0, 1], localPriorities: [200, 100], peerPriorities: [100, 200])),
  .splitBrainResolved(SplitBrainResolution(groups: [0, 1], winner: 0, reason: "better priority")),
  .configMismatch(localDigest: 1, peerDigest: 0xFFFF_FFFF_FFFF_FFFF),
  .configMatch,
  .manualFailoverRequested(group: 1, node: 1, requestedBy: 0),
  .manualFailoverReset(group: 1, requestedBy: nil, reason: "failback"),
  .failoverCountCleared(requestedBy: nil),
  .preemptLimitReached(group: 1, limit: 3, periodSeconds: 600),
  .datagramRejected(link: .control, source: "10.0.0.2", reason: "replayed sequence 5"),
  .sessionSync(.coldSyncStarted),
  .sessionSync(.coldSyncCompleted(milliseconds: 420, sessions: 50)),
  .sessionSync(.coldSyncTimedOut(seconds: 60)),
  .sessionSync(.coldSyncAbandoned(reason: "became primary for rg1 before the bulk sync arrived")),
  .sessionSync(
    .committed(SessionCommit(groups: [1], sessions: 50, milliseconds: 4, timedOut: false))),
  .sessionSync(
    .committed(
      SessionCommit(
        groups: [1, 2], sessions: 9, milliseconds: 2000, timedOut: true, error: "no answer"))),
  .sessionSync(.healthChanged(from: .healthy, to: .stalled, detail: "no message for 3 s")),
  .rethStatusChanged(
    RethStatusChange(reth: "reth0", index: 0, group: 1, active: true, addresses: [rethAddress])),
  .rethRestored(
    RethRestore(
      reth: "reth0", index: 0, group: 1, linkRestored: false,
      addresses: [.init(index: 1, address: rethAddress)], restores: 3)),
  .rethRestored(
    RethRestore(
      reth: "reth0", index: 0, group: 1, linkRestored: true, addresses: [], restores: 4)),
  .lanLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: 3050),
  .lanLinkUp,
  .witness(.lost(lastContactAgeMilliseconds: 3200)),
  .witness(.found),
  .witness(.grantChanged(holder: 1, confirmed: true)),
  .witness(.grantChanged(holder: nil, confirmed: false)),
  .witness(.rejected(reason: "bad message authentication code")),
]

private func shellRecords() -> [EventRecord] {
  let summary = RateLimiter<PlainInstant>.Summary(
    key: "auth:10.0.0.2", suppressed: 12, windowStart: PlainInstant(), window: .seconds(10))
  return [
    EventCatalog.configLoaded(path: "/etc/ccagent/ccagent.conf", context: context),
    EventCatalog.configReloadFailed(
      path: "/etc/ccagent/ccagent.conf", error: "x", context: context),
    EventCatalog.messagesSuppressed(
      summary, kind: .authenticationFailure, context: context),
    EventCatalog.agentxConnected(socket: "/var/agentx/master", context: context),
    EventCatalog.agentxDisconnected(socket: "/var/agentx/master", context: context),
    EventCatalog.agentStarted(version: "0.1.0", context: context),
    EventCatalog.agentStopping(context: context),
    EventCatalog.authenticationFailure(
      source: "10.0.0.2", link: "fabric", reason: "bad MAC", context: context),
  ]
}

/// Any instant type works with the rate limiter; this one is a plain number.
private struct PlainInstant: InstantProtocol {
  var nanoseconds: Int64 = 0
  func advanced(by duration: Duration) -> Self {
    Self(nanoseconds: nanoseconds + duration.nanosecondsClamped)
  }
  func duration(to other: Self) -> Duration { .nanoseconds(other.nanoseconds - nanoseconds) }
  static func < (a: Self, b: Self) -> Bool { a.nanoseconds < b.nanoseconds }
}

@Suite struct EventCatalogTests {
  @Test func everyClusterEventMapsWithAllDocumentedFields() throws {
    #expect(Set(sampleEvents.map(caseName)) == allCaseNames)
    for event in sampleEvents {
      let record = try #require(EventCatalog.record(for: event, context: context))
      #expect(record.fields.map(\.0) == record.kind.fields, "\(event)")
      #expect(record.fields.allSatisfy { !$0.1.isEmpty }, "\(event)")
      #expect(!record.message.isEmpty && !record.message.contains("\n"))
      #expect(record[field: "CLUSTER_ID"] == "7" && record[field: "NODE_ID"] == "0")
    }
  }

  @Test func everyKindIsProduced() throws {
    var kinds = Set(
      try sampleEvents.map {
        try #require(EventCatalog.record(for: $0, context: context)).kind
      })
    for record in shellRecords() {
      #expect(record.fields.map(\.0) == record.kind.fields, "\(record.kind)")
      kinds.insert(record.kind)
    }
    #expect(kinds == Set(EventKind.allCases))
  }

  @Test func stateChangesAndFailovers() throws {
    let down = try #require(EventCatalog.record(for: sampleEvents[0], context: context))
    #expect(down.kind == .rgStateChange)
    #expect(down.message == "rg1 primary -> secondary-hold (monitor failure (IF))")
    #expect(down[field: "PRIORITY_PEER"] == "unknown")
    let takeover = try #require(
      EventCatalog.record(for: sampleEvents[1], context: context))
    #expect(takeover.kind == .rgFailover)
    #expect(takeover.kind.priority == 4)
    let election = try #require(
      EventCatalog.record(for: sampleEvents[2], context: context))
    #expect(election.kind == .rgStateChange)
  }

  @Test func fieldValues() throws {
    func record(_ i: Int) throws -> EventRecord {
      try #require(EventCatalog.record(for: sampleEvents[i], context: context))
    }
    let ifDown = try record(3)
    #expect(ifDown.kind == .interfaceMonitorFailure)
    #expect(ifDown[field: "MONITOR_KIND"] == "interface" && ifDown[field: "THRESHOLD"] == "0")
    let ipDown = try record(5)
    #expect(ipDown[field: "MONITOR_KIND"] == "ip" && ipDown[field: "THRESHOLD"] == "155")
    #expect(ipDown[field: "GLOBAL_THRESHOLD_LEFT"] == "0")
    let link = try record(7)
    #expect(link[field: "PEER_NODE_ID"] == "1" && link[field: "HEARTBEAT_INTERVAL_MS"] == "1000")
    #expect(link[field: "LAST_HEARTBEAT_AGE_MS"] == "3012")
    #expect(try record(8)[field: "LAST_HEARTBEAT_AGE_MS"] == "never")
    let split = try record(14)
    #expect(split[field: "RG_IDS"] == "0,1" && split[field: "PRIORITIES_PEER"] == "100,200")
    let mismatch = try record(16)
    #expect(mismatch[field: "CONFIG_DIGEST"] == "0000000000000001")
    #expect(mismatch[field: "PEER_CONFIG_DIGEST"] == "ffffffffffffffff")
    #expect(try record(17)[field: "CONFIG_DIGEST"] == "0123456789abcdef")
    #expect(try record(19)[field: "REQUESTED_BY"] == "agent")
    let rejected = try record(22)
    #expect(rejected.kind == .authenticationFailure)
    // The event itself carries its source now (issue 12 item 3).
    #expect(rejected[field: "SOURCE_ADDRESS"] == "10.0.0.2" && rejected[field: "LINK"] == "control")
    #expect(rejected.message == "control datagram from 10.0.0.2 rejected: replayed sequence 5")
    let completed = try record(24)
    #expect(completed.kind == .coldSync)
    #expect(completed[field: "COLD_SYNC"] == "completed" && completed[field: "SESSIONS"] == "50")
    #expect(try record(27).kind == .sessionCommit)
    let timedOut = try record(28)
    #expect(timedOut.kind == .sessionCommitTimeout && timedOut[field: "RG_IDS"] == "1,2")
    #expect(timedOut[field: "ERROR"] == "no answer")
    #expect(try record(29)[field: "NEW_HEALTH"] == "stalled")
    let up = try record(30)
    #expect(up.kind == .rethStatusChange && up.kind.priority == 5)
    #expect(up[field: "RETH_STATE"] == "up" && up[field: "IP_ADDRESSES"] == "192.0.2.1/24")
    #expect(up.message == "reth0 (rg1) up on this node")
    let restored = try record(31)
    #expect(restored.kind == .rethRestored && restored.kind.priority == 4)
    #expect(restored[field: "RESTORE_COUNT"] == "3" && restored[field: "LINK_RESTORED"] == "no")
    #expect(restored[field: "IP_ADDRESSES"] == "192.0.2.1/24" && restored[field: "RG_ID"] == "1")
    #expect(
      restored.message
        == "reth0 was changed by someone else on the primary and is restored (192.0.2.1/24)")
    let linkOnly = try record(32)
    #expect(linkOnly[field: "LINK_RESTORED"] == "yes" && linkOnly[field: "IP_ADDRESSES"] == "none")
    #expect(linkOnly.message.hasSuffix("restored (link up)"))
    let lan = try record(33)
    #expect(lan.kind == .lanLinkDown && lan[field: "MISSED_HEARTBEATS"] == "3")
    let lost = try record(35)
    #expect(lost.kind == .witnessLost && lost[field: "LAST_CONTACT_AGE_MS"] == "3200")
    let grant = try record(37)
    #expect(grant.kind == .witnessGrant)
    #expect(grant[field: "GRANT_HOLDER"] == "node1" && grant[field: "GRANT_CONFIRMED"] == "yes")
    #expect(grant.message == "witness unknown: grant held by node1")
    #expect(try record(38)[field: "GRANT_HOLDER"] == "none")
    let witnessRejected = try record(39)
    #expect(witnessRejected.kind == .authenticationFailure)
    #expect(witnessRejected[field: "LINK"] == "witness")
  }
}
