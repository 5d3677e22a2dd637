import Cluster
import ClusterTestSupport
import Testing

@testable import MIB

@Suite("MIBView: materialised instances, GET and GETNEXT")
struct MIBViewTests {
  typealias D = MIBDefinition

  let run = Scenarios.busy
  let snapshot: ClusterSnapshot
  let view: MIBView

  init() throws {
    snapshot = try #require(Scenarios.busy.snapshot(1, node: 0))
    view = ScenarioRun.view(snapshot, Scenarios.busy.configuration, dropped: 3)
  }

  // MARK: GETNEXT and walking

  @Test func getNextFromBeforeTheSubtreeReturnsTheFirstScalar() throws {
    let first = D.ccClusterId.oid + [0]
    for start: OID in [
      [], [0], [1, 3], [1, 3, 6, 1, 4, 1, 8072], D.root, D.notificationsRoot,
      D.notificationsRoot + [15], D.objectsRoot, D.clusterRoot, D.ccClusterId.oid,
    ] {
      let next = try #require(view.getNext(start), "\(start)")
      #expect(next.oid == first, "\(start)")
      #expect(next.value == .integer(7))
    }
  }

  @Test func getNextPastTheEndIsNil() throws {
    let last = try #require(view.entries.last)
    #expect(last.oid == D.ccWitnessRepliesRejected.oid + [0])
    #expect(view.getNext(last.oid) == nil)
    #expect(view.getNext(D.ccWitnessRepliesRejected.oid + [0, 0]) == nil)
    #expect(view.getNext(D.witnessRoot + [13]) == nil)
    #expect(view.getNext(D.objectsRoot + [10]) == nil)
    #expect(view.getNext(D.root + [2]) == nil)
    #expect(view.getNext([1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2]) == nil)
    #expect(view.getNext([2]) == nil)
  }

  @Test func getNextCrossesScalarsAndTables() {
    // Last scalar → first column of the RG table.
    #expect(view.getNext(D.ccNotificationsDropped.oid + [0])?.oid == D.ccLanLinkStatus.oid + [0])
    // Non-existent scalars after the last one.
    #expect(view.getNext(D.clusterRoot + [23])?.oid == D.ccRgFailoverCount.oid + [0])
    #expect(view.getNext(D.ccLanHeartbeatErrors.oid + [0])?.oid == D.ccRgFailoverCount.oid + [0])
    // The end of the tables (no reth here) → the session-sync group → the witness group.
    #expect(
      view.getNext(D.ccIpMonAddressText.oid + [2, 3])?.oid == D.ccSessionSyncConfigured.oid + [0])
    #expect(view.getNext(D.objectsRoot + [6])?.oid == D.ccSessionSyncConfigured.oid + [0])
    #expect(
      view.getNext(D.ccSessionSyncLastCommitTimedOut.oid + [0])?.oid
        == D.ccWitnessConfigured.oid + [0])
    #expect(view.getNext(D.sessionSyncRoot + [16])?.oid == D.ccWitnessConfigured.oid + [0])
    // Table, entry and the not-accessible index column all lead to the first readable column.
    for start in [D.ccRedundancyGroupTable.oid, D.ccRedundancyGroupEntry.oid, D.ccRgId.oid] {
      #expect(view.getNext(start)?.oid == D.ccRgFailoverCount.oid + [0])
    }
    // End of the RG table → the node table; end of a column → the next column's first row.
    #expect(
      view.getNext(D.ccRgManualFailoverNode.oid + [2])?.oid
        == D.ccRgNodeConfiguredPriority.oid + [0, 0])
    #expect(view.getNext(D.ccRgFailoverCount.oid + [2])?.oid == D.ccRgLastFailoverTime.oid + [0])
    #expect(
      view.getNext(D.ccRgNodeWeightKnown.oid + [2, 1])?.oid == D.ccIfMonName.oid + [1, 1])
    #expect(
      view.getNext(D.ccIfMonLastChange.oid + [1, 3])?.oid == D.ccIpMonAddressType.oid + [2, 1])
  }

  @Test func getNextFromMissingRows() {
    // RG 5 does not exist (0, 1 and 2 do): the next column's first row follows.
    #expect(view.getNext(D.ccRgFailoverCount.oid + [5])?.oid == D.ccRgLastFailoverTime.oid + [0])
    // Between rows, and deeper than an index.
    #expect(view.getNext(D.ccRgFailoverCount.oid + [0, 5])?.oid == D.ccRgFailoverCount.oid + [1])
    #expect(view.getNext(D.ccRgNodeState.oid + [1])?.oid == D.ccRgNodeState.oid + [1, 0])
    #expect(view.getNext(D.ccRgNodeState.oid + [1, 1])?.oid == D.ccRgNodeState.oid + [2, 0])
    #expect(view.getNext(D.ccRgNodeState.oid + [1, 7])?.oid == D.ccRgNodeState.oid + [2, 0])
    // Interface monitors exist for RG 1 only.
    #expect(view.getNext(D.ccIfMonName.oid + [0, 9])?.oid == D.ccIfMonName.oid + [1, 1])
    #expect(view.getNext(D.ccIfMonName.oid + [1, 3])?.oid == D.ccIfMonWeight.oid + [1, 1])
    #expect(view.getNext(D.ccIfMonName.oid + [4_294_967_295])?.oid == D.ccIfMonWeight.oid + [1, 1])
  }

  @Test func getNextInclusiveStartsAtAnExistingInstance() {
    let oid = D.ccRgNodeState.oid + [1, 0]
    #expect(view.getNext(oid, inclusive: true)?.oid == oid)
    #expect(view.getNext(oid)?.oid == D.ccRgNodeState.oid + [1, 1])
    #expect(
      view.getNext(D.ccRgNodeState.oid, inclusive: true)?.oid == D.ccRgNodeState.oid + [0, 0])
  }

  @Test func getIsExact() {
    #expect(view.get(D.ccClusterId.oid + [0]) == .integer(7))
    #expect(view.get(D.ccClusterId.oid) == nil)
    #expect(view.get(D.ccClusterId.oid + [0, 0]) == nil)
    #expect(view.get(D.ccClusterId.oid + [1]) == nil)
    #expect(view.get(D.ccRgFailoverCount.oid + [5]) == nil)
    #expect(view.get(D.ccRgId.oid + [1]) == nil)  // not-accessible
    #expect(view.get(D.ccRedundancyGroupTable.oid) == nil)
    #expect(view.get(D.root) == nil)
    #expect(view.get([]) == nil)
  }

  @Test func walkingFromTheRootVisitsEveryValueOnceInIncreasingOrder() {
    var visited: [MIBView.Entry] = []
    var cursor = D.root
    while let (oid, value) = view.getNext(cursor), oid.hasPrefix(D.root) {
      if let previous = visited.last { #expect(previous.oid < oid) }
      visited.append(MIBView.Entry(oid: oid, value: value))
      cursor = oid
      if visited.count > view.count { break }
    }
    #expect(visited == view.entries)
    #expect(Set(visited.map(\.oid)).count == visited.count)
    // 22 scalars; 3 RGs × 7 columns; 6 RG×node rows × 9; 3 interface monitors × 5 and
    // 3 IP monitors × 6; 15 session-sync and 12 witness scalars.
    #expect(visited.count == 22 + 21 + 54 + 15 + 18 + 15 + 12)
    #expect(visited.allSatisfy { $0.oid.hasPrefix(D.objectsRoot) })
  }

  // MARK: Types

  @Test func everyInstanceHasItsColumnsType() throws {
    var served = Set<String>()
    let reths = try #require(Scenarios.rethFailover.view(1, node: 1))
    for entry in view.entries + reths.entries {
      let (object, index) = try #require(D.object(of: entry.oid), "\(entry.oid)")
      #expect(object.access == .readOnly, "\(object.name)")
      #expect(entry.value.smiType == object.type, "\(MIBDefinition.name(of: entry.oid))")
      let singleIndex = [D.ccRedundancyGroupEntry, D.ccRethEntry].contains {
        object.oid.hasPrefix($0.oid)
      }
      switch object.kind {
      case .scalar: #expect(index == [0])
      case .column:
        #expect(index.count == (singleIndex ? 1 : 2))
      default: Issue.record("\(object.name) is not an instance's object")
      }
      served.insert(object.name)
    }
    // Every readable object of the module is served (the two scenarios fill every table).
    let readable = D.all.filter { $0.access == .readOnly }.map(\.name)
    #expect(Set(readable) == served)
  }

  @Test func typeNamesAreWhatSnmpwalkPrints() {
    let expected: [(MIBObject, [UInt32], String)] = [
      (D.ccClusterId, [0], "INTEGER"),
      (D.ccHeartbeatInterval, [0], "Gauge32"),
      (D.ccHeartbeatsSent, [0], "Counter64"),
      (D.ccSplitBrainLastDetected, [0], "Timeticks"),
      (D.ccSplitBrainCount, [0], "Counter32"),
      (D.ccRgLastFailoverReason, [0], "STRING"),
      (D.ccRgNodeFailureCodes, [1, 0], "BITS"),
      (D.ccIfMonName, [1, 1], "STRING"),
      (D.ccIpMonAddress, [2, 1], "Hex-STRING"),
    ]
    for (object, index, name) in expected {
      #expect(view.get(object.oid + index)?.typeName == name, "\(object.name)")
    }
  }

  // MARK: Values

  @Test func scalarsEqualTheSnapshot() {
    let s = snapshot.statistics
    let expected: [(MIBObject, SNMPValue)] = [
      (D.ccClusterId, .integer(7)),
      (D.ccLocalNodeId, .integer(0)),
      (D.ccHeartbeatInterval, .unsigned(500)),
      (D.ccHeartbeatThreshold, .unsigned(4)),
      (D.ccControlLinkStatus, .integer(1)),
      (D.ccFabricLinkStatus, .integer(1)),
      (D.ccPeerStatus, .integer(1)),
      (D.ccHeartbeatsSent, .counter64(s.heartbeatsSent)),
      (D.ccHeartbeatsReceived, .counter64(s.heartbeatsReceived)),
      (D.ccHeartbeatErrors, .counter64(s.heartbeatErrors)),
      (D.ccProbesSent, .counter64(s.probesSent)),
      (D.ccProbesReceived, .counter64(s.probesReceived)),
      (D.ccProbeErrors, .counter64(s.probeErrors)),
      (D.ccSplitBrainStatus, .integer(1)),
      (D.ccSplitBrainLastDetected, .timeTicks(0)),
      (D.ccSplitBrainCount, .counter32(0)),
      (D.ccConfigDigestStatus, .integer(1)),
      (D.ccNotificationsDropped, .counter32(3)),
      // No lan-address in this configuration.
      (D.ccLanLinkStatus, .integer(4)),
      (D.ccLanHeartbeatsSent, .counter64(0)),
      (D.ccLanHeartbeatsReceived, .counter64(0)),
      (D.ccLanHeartbeatErrors, .counter64(0)),
    ]
    for (object, value) in expected {
      #expect(view.get(object.oid + [0]) == value, "\(object.name)")
    }
    #expect(s.heartbeatsSent > 0 && s.probesReceived > 0)
  }

  @Test func groupTableEqualsTheSnapshot() throws {
    for group in snapshot.status.redundancyGroups {
      let detail = try #require(snapshot.groups.first { $0.id == group.id })
      let rg = UInt32(group.id)
      #expect(view.get(D.ccRgFailoverCount.oid + [rg]) == .counter32(UInt32(group.failoverCount)))
      #expect(
        view.get(D.ccRgLastFailoverTime.oid + [rg])
          == .timeTicks(UInt32((detail.lastFailoverAt?.milliseconds ?? 0) / 10)))
      #expect(
        view.get(D.ccRgLastFailoverReason.oid + [rg])
          == .octetString(Array((detail.lastFailoverReason ?? "").utf8)))
      #expect(view.get(D.ccRgPreempt.oid + [rg]) == .integer(detail.preempt ? 1 : 2))
      #expect(
        view.get(D.ccRgHoldDownInterval.oid + [rg])
          == .unsigned(UInt32(detail.holdDownIntervalSeconds)))
      #expect(
        view.get(D.ccRgPrimaryNode.oid + [rg]) == .integer(Int32(group.primaryNode ?? -1)))
      #expect(
        view.get(D.ccRgManualFailoverNode.oid + [rg]) == .integer(Int32(detail.manualTarget ?? -1)))
    }
    // The scenario's story, spelled out.
    #expect(view.get(D.ccRgPrimaryNode.oid + [0]) == .integer(1))  // manual failover to node1
    #expect(view.get(D.ccRgManualFailoverNode.oid + [0]) == .integer(1))
    #expect(view.get(D.ccRgManualFailoverNode.oid + [1]) == .integer(-1))
    #expect(view.get(D.ccRgFailoverCount.oid + [0]) == .counter32(2))
    #expect(view.get(D.ccRgLastFailoverTime.oid + [0]) == .timeTicks(600))  // at 6 s
    #expect(view.get(D.ccRgLastFailoverTime.oid + [1]) == .timeTicks(0))  // first election only
    #expect(view.get(D.ccRgPreempt.oid + [1]) == .integer(1))
    #expect(view.get(D.ccRgHoldDownInterval.oid + [1]) == .unsigned(5))
    #expect(view.get(D.ccRgHoldDownInterval.oid + [0]) == .unsigned(300))
  }

  @Test func nodeTableEqualsTheSnapshot() throws {
    for group in snapshot.status.redundancyGroups {
      let detail = try #require(snapshot.groups.first { $0.id == group.id })
      #expect(group.nodes.map(\.node) == [0, 1])
      for node in group.nodes {
        let index = [UInt32(group.id), UInt32(node.node)]
        let local = node.node == snapshot.status.localNode
        #expect(
          view.get(D.ccRgNodeConfiguredPriority.oid + index)
            == .unsigned(UInt32(node.configuredPriority ?? 0)))
        #expect(
          view.get(D.ccRgNodeEffectivePriority.oid + index) == .unsigned(UInt32(node.priority)))
        #expect(view.get(D.ccRgNodeState.oid + index) == .integer(Int32(node.status.rawValue)))
        #expect(
          view.get(D.ccRgNodeManualFailover.oid + index) == .integer(node.manualFailover ? 1 : 2))
        #expect(view.get(D.ccRgNodeWeight.oid + index) == .integer(Int32(node.weight ?? 0)))
        let bits = try #require(view.get(D.ccRgNodeFailureCodes.oid + index)?.bitPositions)
        #expect(
          bits.map { FailureCodes(rawValue: 1 << $0) }.flatMap(\.abbreviations).sorted()
            == node.monitorFailures.sorted())
        #expect(
          view.get(D.ccRgNodeFailureCodesText.oid + index)
            == .displayString(node.monitorFailures.joined(separator: " ")))
        #expect(
          view.get(D.ccRgNodeWeightKnown.oid + index) == .integer(node.weight == nil ? 2 : 1))
        let changed = local ? detail.lastTransitionAt : detail.peerLastChange
        #expect(
          view.get(D.ccRgNodeLastStateChange.oid + index)
            == .timeTicks(UInt32((changed?.milliseconds ?? 0) / 10)))
      }
    }
    let rg1node0 = [UInt32(1), 0]
    #expect(view.get(D.ccRgNodeWeight.oid + rg1node0) == .integer(155))  // 255 − eth1's 100
    #expect(view.get(D.ccRgNodeFailureCodes.oid + rg1node0) == .bits([0x80]))  // interface(0)
    #expect(view.get(D.ccRgNodeFailureCodes.oid + [2, 0]) == .bits([0x40]))  // ip(1)
    #expect(view.get(D.ccRgNodeFailureCodesText.oid + rg1node0) == .displayString("IF"))
    #expect(view.get(D.ccRgNodeFailureCodesText.oid + [2, 0]) == .displayString("IP"))
    #expect(view.get(D.ccRgNodeFailureCodesText.oid + [0, 0]) == .displayString(""))
    #expect(view.get(D.ccRgNodeWeightKnown.oid + [2, 0]) == .integer(1))  // spent, but known
    #expect(view.get(D.ccRgNodeWeight.oid + [2, 0]) == .integer(0))
    #expect(view.get(D.ccRgNodeEffectivePriority.oid + [2, 0]) == .unsigned(0))
    #expect(view.get(D.ccRgNodeEffectivePriority.oid + [0, 1]) == .unsigned(255))  // manual
    #expect(view.get(D.ccRgNodeManualFailover.oid + [0, 0]) == .integer(1))
    #expect(view.get(D.ccRgNodeState.oid + [0, 0]) == .integer(3))  // secondaryHold
    #expect(view.get(D.ccRgNodeState.oid + [0, 1]) == .integer(2))  // primary
    #expect(view.get(D.ccRgNodeLastStateChange.oid + [0, 0]) == .timeTicks(600))
    // The peer's row: when this node saw the peer's announced state change.
    #expect(view.get(D.ccRgNodeLastStateChange.oid + [0, 1]) != .timeTicks(0))
  }

  @Test func interfaceMonitorTableEqualsTheSnapshot() {
    #expect(snapshot.interfaceMonitors.count == 3)
    for monitor in snapshot.interfaceMonitors {
      let index = [UInt32(monitor.group), UInt32(monitor.index)]
      #expect(view.get(D.ccIfMonName.oid + index) == .octetString(Array(monitor.interface.utf8)))
      #expect(view.get(D.ccIfMonWeight.oid + index) == .unsigned(UInt32(monitor.weight)))
      #expect(view.get(D.ccIfMonNode.oid + index) == .integer(Int32(monitor.node ?? -1)))
      #expect(
        view.get(D.ccIfMonLastChange.oid + index)
          == .timeTicks(UInt32((monitor.lastChangeMilliseconds ?? 0) / 10)))
    }
    // eth1 (both nodes) is down; eth2 is node1's only: notMonitored here; eth3 (node0) is up.
    #expect(view.get(D.ccIfMonStatus.oid + [1, 1]) == .integer(2))
    #expect(view.get(D.ccIfMonStatus.oid + [1, 2]) == .integer(4))
    #expect(view.get(D.ccIfMonStatus.oid + [1, 3]) == .integer(1))
    #expect(view.get(D.ccIfMonNode.oid + [1, 2]) == .integer(1))
    #expect(view.get(D.ccIfMonLastChange.oid + [1, 1]) == .timeTicks(500))  // link down at 5 s
  }

  @Test func ipMonitorTableEqualsTheSnapshot() {
    #expect(snapshot.ipMonitors.map(\.address) == ["192.0.2.1", "2001:db8::1", "198.51.100.7"])
    for monitor in snapshot.ipMonitors {
      let index = [UInt32(monitor.group), UInt32(monitor.index)]
      #expect(view.get(D.ccIpMonWeight.oid + index) == .unsigned(UInt32(monitor.weight)))
      let status: Int32 = monitor.reachable.map { $0 ? 1 : 2 } ?? 3
      #expect(view.get(D.ccIpMonStatus.oid + index) == .integer(status))
      #expect(
        view.get(D.ccIpMonLastChange.oid + index)
          == .timeTicks(UInt32((monitor.lastChangeMilliseconds ?? 0) / 10)))
      #expect(view.get(D.ccIpMonAddressText.oid + index) == .displayString(monitor.address))
    }
    #expect(view.get(D.ccIpMonAddressText.oid + [2, 2]) == .displayString("2001:db8::1"))
    #expect(view.get(D.ccIpMonAddressType.oid + [2, 1]) == .integer(1))
    #expect(view.get(D.ccIpMonAddress.oid + [2, 1]) == .octetString([192, 0, 2, 1]))
    #expect(view.get(D.ccIpMonAddressType.oid + [2, 2]) == .integer(2))
    #expect(
      view.get(D.ccIpMonAddress.oid + [2, 2])
        == .octetString([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]))
    #expect(view.get(D.ccIpMonAddress.oid + [2, 3]) == .octetString([198, 51, 100, 7]))
    #expect(view.get(D.ccIpMonStatus.oid + [2, 1]) == .integer(2))  // unreachable
    #expect(view.get(D.ccIpMonStatus.oid + [2, 2]) == .integer(3))  // node1's: unknown here
    #expect(view.get(D.ccIpMonStatus.oid + [2, 3]) == .integer(1))
    #expect(view.get(D.ccIpMonLastChange.oid + [2, 1]) == .timeTicks(1000))  // 5 lost pings
  }

  @Test func lostPeerRowHasNoWeightAndState7() throws {
    let run = ScenarioRun(
      Scenarios.configuration + """
        ---
        +0s boot node0
        +0s boot node1
        +5s crash node1
        +5s status
        """)
    let view = try #require(run.view(0, node: 0))
    #expect(view.get(D.ccPeerStatus.oid + [0]) == .integer(2))
    #expect(view.get(D.ccControlLinkStatus.oid + [0]) == .integer(2))
    #expect(view.get(D.ccFabricLinkStatus.oid + [0]) == .integer(2))
    for rg: UInt32 in 0...2 {
      #expect(view.get(D.ccRgNodeState.oid + [rg, 1]) == .integer(7))
      #expect(view.get(D.ccRgNodeWeight.oid + [rg, 1]) == .integer(0))
      #expect(view.get(D.ccRgNodeWeightKnown.oid + [rg, 1]) == .integer(2))  // not known
      #expect(view.get(D.ccRgNodeWeightKnown.oid + [rg, 0]) == .integer(1))
      #expect(view.get(D.ccRgNodeFailureCodesText.oid + [rg, 1]) == .displayString(""))
      #expect(view.get(D.ccRgNodeEffectivePriority.oid + [rg, 1]) == .unsigned(0))
      #expect(view.get(D.ccRgNodeFailureCodes.oid + [rg, 1]) == .bits([0]))
      #expect(view.get(D.ccRgPrimaryNode.oid + [rg]) == .integer(0))
    }
    #expect(view.get(D.ccRgNodeConfiguredPriority.oid + [2, 1]) == .unsigned(200))
    #expect(view.get(D.ccRgLastFailoverReason.oid + [2]) == .octetString(Array("peer lost".utf8)))
  }

  @Test func unseenPeerAndConfigMismatch() throws {
    let alone = ScenarioRun(Scenarios.configuration + "---\n+0s boot node0\n+5s status\n")
    let view = try #require(alone.view(0, node: 0))
    #expect(view.get(D.ccPeerStatus.oid + [0]) == .integer(3))
    #expect(view.get(D.ccConfigDigestStatus.oid + [0]) == .integer(3))  // no digest yet
    #expect(view.get(D.ccRgPrimaryNode.oid + [2]) == .integer(0))

    let other = Scenarios.configuration + "set chassis cluster redundancy-group 1 preempt delay 9\n"
    let mismatch = ScenarioRun(
      Scenarios.configuration + "---\n+0s boot node0\n+0s boot node1\n+5s status\n",
      configurations: [Scenarios.configuration, other])
    let mismatched = try #require(mismatch.view(0, node: 1))
    #expect(mismatched.get(D.ccConfigDigestStatus.oid + [0]) == .integer(2))
    // configSync(2) on both rows: 0x20.
    #expect(mismatched.get(D.ccRgNodeFailureCodes.oid + [0, 0]) == .bits([0x20]))
    #expect(mismatched.get(D.ccRgNodeFailureCodes.oid + [0, 1]) == .bits([0x20]))
  }

  @Test func splitBrainScalars() {
    var split = snapshot
    split.splitBrain.active = [1]
    split.splitBrain.count = 4
    split.splitBrain.lastDetectedAt = .milliseconds(12_345)
    let view = ScenarioRun.view(split, run.configuration)
    #expect(view.get(D.ccSplitBrainStatus.oid + [0]) == .integer(2))
    #expect(view.get(D.ccSplitBrainCount.oid + [0]) == .counter32(4))
    #expect(view.get(D.ccSplitBrainLastDetected.oid + [0]) == .timeTicks(1234))
  }

  @Test func timeStampsCountFromAgentStart() {
    let ticks = MIBContext.centiseconds(since: .milliseconds(1_000))
    #expect(ticks(.milliseconds(1_000)) == 0)
    #expect(ticks(.milliseconds(999)) == 0)
    #expect(ticks(.milliseconds(1_019)) == 1)
    #expect(ticks(.milliseconds(61_000)) == 6_000)
    #expect(ticks(ClusterTime(nanoseconds: .max)) == .max)
    let late = MIBView(
      snapshot: snapshot,
      context: MIBContext(
        heartbeatIntervalMilliseconds: 1, heartbeatThreshold: 1,
        timeStamp: MIBContext.centiseconds(since: .milliseconds(5_500))))
    // eth1 went down at 5 s, before this agent's start: 0 rather than a negative time.
    #expect(late.get(D.ccIfMonLastChange.oid + [1, 1]) == .timeTicks(0))
    #expect(late.get(D.ccRgLastFailoverTime.oid + [0]) == .timeTicks(50))
  }

  @Test func notificationsDroppedIsPatchedInPlace() {
    var copy = view
    copy.setNotificationsDropped(42)
    #expect(copy.get(D.ccNotificationsDropped.oid + [0]) == .counter32(42))
    #expect(view.get(D.ccNotificationsDropped.oid + [0]) == .counter32(3))
    #expect(copy.count == view.count)
  }

  @Test func emptyTablesAreSkipped() throws {
    let plain = ScenarioRun(
      """
      set chassis cluster cluster-id 1
      set chassis cluster redundancy-group 0 node 0 priority 200
      set chassis cluster redundancy-group 0 node 1 priority 100
      ---
      +0s boot node0
      +0s boot node1
      +5s status
      """)
    let view = try #require(plain.view(0, node: 1))
    #expect(view.count == 22 + 7 + 2 * 9 + 15 + 12)
    let next = D.ccSessionSyncConfigured.oid + [0]
    #expect(view.getNext(D.ccRgNodeWeightKnown.oid + [0, 1])?.oid == next)
    #expect(view.getNext(D.ccInterfaceMonitorTable.oid)?.oid == next)
    #expect(view.getNext(D.ccRgFailoverCount.oid + [0])?.oid == D.ccRgLastFailoverTime.oid + [0])
  }

  @Test func failureCodesMapBitForBit() {
    #expect(MIBView.failureBits([]) == .bits([0]))
    #expect(MIBView.failureBits(.interface) == .bits([0x80]))
    #expect(MIBView.failureBits(.ip) == .bits([0x40]))
    #expect(MIBView.failureBits(.configSync) == .bits([0x20]))
    #expect(MIBView.failureBits(.fabric) == .bits([0x10]))
    #expect(MIBView.failureBits(.coldSync) == .bits([0x08]))
    #expect(MIBView.failureBits([.interface, .coldSync]) == .bits([0x88]))
    let all = FailureCodes.all.map(\.1)
    #expect(FailureCodes(abbreviations: all).rawValue == 0x1F)
    #expect(FailureCodes(abbreviations: ["IP", "FL"]) == [.ip, .fabric])
  }
}

@Suite("MIBView: the reth tables")
struct MIBViewRethTests {
  typealias D = MIBDefinition
  let run = Scenarios.rethFailover

  @Test func rethRowsFollowTheRoleOfTheirGroup() throws {
    let before = try #require(run.view(0, node: 0))
    let after = try #require(run.view(1, node: 0))
    let peer = try #require(run.view(1, node: 1))
    #expect(before.get(D.ccRethName.oid + [0]) == .displayString("reth0"))
    #expect(before.get(D.ccRethName.oid + [3]) == .displayString("reth3"))
    #expect(before.get(D.ccRethRgId.oid + [0]) == .integer(1))
    // reth-mac local: 02:cc:a9:00, the cluster-id (7), the reth number.
    #expect(before.get(D.ccRethMac.oid + [0]) == .octetString([0x02, 0xcc, 0xa9, 0, 7, 0]))
    #expect(peer.get(D.ccRethMac.oid + [3]) == .octetString([0x02, 0xcc, 0xa9, 0, 7, 3]))
    // reth3 has no member on node0: no MAC there, never up.
    #expect(after.get(D.ccRethMac.oid + [3]) == .octetString([]))
    #expect(after.get(D.ccRethMemberStatus.oid + [3]) == .integer(3))
    #expect(before.get(D.ccRethOperStatus.oid + [0]) == .integer(1))
    #expect(after.get(D.ccRethOperStatus.oid + [0]) == .integer(2))
    #expect(after.get(D.ccRethMemberStatus.oid + [0]) == .integer(2))
    #expect(peer.get(D.ccRethOperStatus.oid + [0]) == .integer(1))
    #expect(peer.get(D.ccRethOperStatus.oid + [3]) == .integer(1))
    #expect(before.get(D.ccRethAddressCount.oid + [0]) == .unsigned(2))
    #expect(before.get(D.ccRethAddressCount.oid + [3]) == .unsigned(1))
    // The last change is node0 giving reth0 up, after the boot's activation.
    guard case .timeTicks(let up)? = before.get(D.ccRethLastChange.oid + [0]),
      case .timeTicks(let down)? = after.get(D.ccRethLastChange.oid + [0])
    else {
      Issue.record("no ccRethLastChange")
      return
    }
    #expect(up > 0 && down > up)
  }

  @Test func theAddressTableListsEachConfiguredAddressWithItsText() throws {
    let view = try #require(run.view(1, node: 1))
    #expect(view.get(D.ccRethAddrType.oid + [0, 1]) == .integer(1))
    #expect(view.get(D.ccRethAddr.oid + [0, 1]) == .octetString([203, 0, 113, 1]))
    #expect(view.get(D.ccRethAddrPrefixLength.oid + [0, 1]) == .unsigned(24))
    #expect(view.get(D.ccRethAddrText.oid + [0, 1]) == .displayString("203.0.113.1"))
    #expect(view.get(D.ccRethAddrType.oid + [0, 2]) == .integer(2))
    #expect(
      view.get(D.ccRethAddr.oid + [0, 2])
        == .octetString([0x20, 0x01, 0x0d, 0xb8, 0, 5] + Array(repeating: 0, count: 9) + [1]))
    #expect(view.get(D.ccRethAddrPrefixLength.oid + [0, 2]) == .unsigned(64))
    #expect(view.get(D.ccRethAddrText.oid + [3, 1]) == .displayString("198.18.0.1"))
    #expect(view.get(D.ccRethAddrText.oid + [0, 3]) == nil)
    // Column by column, rows in index order, and the last table: the session-sync group follows.
    #expect(view.getNext(D.ccRethAddrText.oid + [0, 2])?.oid == D.ccRethAddrText.oid + [3, 1])
    #expect(
      view.getNext(D.ccRethAddrText.oid + [3, 1])?.oid == D.ccSessionSyncConfigured.oid + [0])
    #expect(view.getNext(D.ccRethLastChange.oid + [3])?.oid == D.ccRethAddrType.oid + [0, 1])
  }

  /// The data plane's counters reach the table through the snapshot (the shell merges them).
  @Test func countersComeFromTheMergedSnapshot() throws {
    let snapshot = try #require(run.snapshot(1, node: 1))
    let unmerged = ScenarioRun.view(snapshot, run.configuration)
    #expect(unmerged.get(D.ccRethGratuitousArpsSent.oid + [0]) == .counter32(0))
    var counters = RethCounters()
    counters.gratuitousARPsSent = 8
    counters.neighbourAdvertisementsSent = 8
    counters.restores = 2
    let view = ScenarioRun.view(snapshot.merging(["reth0": counters]), run.configuration)
    #expect(view.get(D.ccRethGratuitousArpsSent.oid + [0]) == .counter32(8))
    #expect(view.get(D.ccRethNeighborAdvertsSent.oid + [0]) == .counter32(8))
    #expect(view.get(D.ccRethRestores.oid + [0]) == .counter32(2))
    #expect(view.get(D.ccRethRestores.oid + [3]) == .counter32(0))
  }
}
