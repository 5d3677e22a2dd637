import Cluster
import ClusterTestSupport
import Foundation
import Testing

@testable import Agent

/// The exposition's samples as `name{labels}` → value, and its `# TYPE` lines.
struct Exposition {
  var samples: [String: Double] = [:]
  var types: [String: String] = [:]
  var helps: [String: String] = [:]

  init(_ bytes: [UInt8]) {
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
      if line.hasPrefix("# TYPE ") {
        types[parts[2]] = parts[3]
      } else if line.hasPrefix("# HELP ") {
        helps[parts[2]] = parts.count > 3 ? parts[3] : ""
      } else if let space = line.lastIndex(of: " ") {
        samples[String(line[..<space])] = Double(line[line.index(after: space)...])
      }
    }
  }

  subscript(_ key: String) -> Double? { samples[key] }

  func names() -> Set<String> {
    Set(samples.keys.map { String($0.prefix { $0 != "{" }) })
  }
}

@Suite("Prometheus exposition of a snapshot")
struct ClusterMetricsTests {
  static let configuration = baseConfiguration(
    """
    set chassis cluster reth-count 1
    set chassis cluster redundancy-group 1 ip-monitoring family inet 192.0.2.1 weight 100
    set interfaces reth0 redundant-ether-options redundancy-group 1
    set interfaces eth14 gigether-options redundant-parent reth0
    set interfaces reth0 unit 0 family inet address 198.51.100.1/24
    """)

  /// Status 0: both up, node0 primary of both RGs. Status 1: eth1 down on node0 (weight 255),
  /// RG1 failed over to node1. Status 2: node1 crashed, its rows lost.
  static let run = ScenarioRun(
    configuration + """
      ---
      +0s boot node0
      +0s boot node1
      +5s status
      +0s link down node0 eth1
      +5s status
      +0s crash node1
      +10s status
      """)

  /// The same pair with session sync, LAN heartbeats and a witness; the simulation does not
  /// poll conntrackd, so `featured` adds what a poll and a commit would have left.
  static let features = ScenarioRun(
    baseConfiguration(
      """
      set chassis cluster reth-count 1
      set interfaces reth0 redundant-ether-options redundancy-group 1
      set interfaces eth14 gigether-options redundant-parent reth0
      set interfaces reth0 unit 0 family inet address 198.51.100.1/24
      set chassis cluster session-sync conntrackd config /etc/conntrackd/conntrackd.conf
      set chassis cluster node 0 lan-address 192.0.2.2
      set chassis cluster node 1 lan-address 192.0.2.3
      set chassis cluster witness address 198.51.100.9 port 7402
      """)
        + """
        ---
        +0s boot node0
        +0s boot node1
        +5s status
        """)

  static func featured() throws -> ClusterSnapshot {
    var snapshot = try #require(features.snapshot(0, node: 0))
    var counters = ConntrackdStatistics()
    counters.internalCache.active = 12
    counters.externalCache.active = 30
    counters.packetsSent = 400
    counters.packetsReceived = 380
    counters.lostMessages = 2
    counters.malformedMessages = 1
    snapshot.statistics.sessionSync?.counters = counters
    snapshot.statistics.sessionSync?.health = .losing
    snapshot.statistics.sessionSync?.lastCommit = SessionCommit(
      groups: [1], sessions: 30, milliseconds: 1_250, timedOut: true, error: "no answer")
    snapshot.statistics.sessionSync?.commits = 3
    snapshot.statistics.sessionSync?.commitTimeouts = 1
    return snapshot
  }

  @Test func sessionSyncLanAndWitnessFollowTheSnapshot() throws {
    let snapshot = try Self.featured()
    let e = Exposition(ClusterMetrics.render(snapshot, version: "1"))
    let s = snapshot.statistics
    #expect(e[#"ccagent_link_up{link="lan"}"#] == 1)
    #expect(e[#"ccagent_link_sent_total{link="lan"}"#] == s.lanHeartbeatsSent.map { Double($0) })
    #expect(
      e[#"ccagent_link_received_total{link="lan"}"#] == s.lanHeartbeatsReceived.map { Double($0) })
    #expect((s.lanHeartbeatsReceived ?? 0) > 0)
    #expect(e["ccagent_session_sync_status"] == 4)  // losing
    #expect(e["ccagent_session_sync_cold_sync"] == 0)
    #expect(e[#"ccagent_session_sync_sessions{cache="internal"}"#] == 12)
    #expect(e[#"ccagent_session_sync_sessions{cache="external"}"#] == 30)
    #expect(e["ccagent_session_sync_messages_sent_total"] == 400)
    #expect(e["ccagent_session_sync_messages_received_total"] == 380)
    #expect(e["ccagent_session_sync_messages_lost_total"] == 2)
    #expect(e["ccagent_session_sync_messages_malformed_total"] == 1)
    #expect(e["ccagent_session_sync_commits_total"] == 3)
    #expect(e["ccagent_session_sync_commit_timeouts_total"] == 1)
    #expect(e["ccagent_session_sync_last_commit_sessions"] == 30)
    #expect(e["ccagent_session_sync_last_commit_duration_seconds"] == 1.25)
    #expect(e["ccagent_session_sync_last_commit_timed_out"] == 1)
    let w = try #require(snapshot.witness)
    #expect(e["ccagent_witness_status"] == 1)  // reachable
    #expect(e["ccagent_witness_grant_holder"] == -1)
    #expect(e["ccagent_witness_holds_grant"] == 0)
    #expect(e["ccagent_witness_claiming"] == 0)
    #expect(e["ccagent_witness_requests_sent_total"] == Double(w.requestsSent))
    #expect(e["ccagent_witness_replies_received_total"] == Double(w.repliesReceived))
    #expect(e["ccagent_witness_replies_rejected_total"] == 0)
    let contact = try #require(w.lastContactMilliseconds)
    let age = try #require(e["ccagent_witness_last_contact_age_seconds"])
    #expect(age == Double(snapshot.takenAt.milliseconds - contact) / 1000 && age < 2)
    #expect(w.requestsSent > 0 && w.repliesReceived > 0)
  }

  /// promtool (Debian's `prometheus`) lints the new families as it lints the live endpoint in
  /// tests/integration/test_metrics.py (which runs without these features).
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
  func promtoolAcceptsTheFeaturedExposition() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = directory.path + "/metrics.txt"
    let bytes = ClusterMetrics.render(try Self.featured(), version: "1")
    try String(decoding: bytes, as: UTF8.self).write(
      toFile: file, atomically: true, encoding: .utf8)
    let result = runShell("/usr/bin/promtool check metrics < \(file) 2>&1")
    #expect(result.status == 0 && result.output.isEmpty, "\(result.output)")
  }

  /// Without the features there are no series for them (not zeros that would look healthy).
  @Test func unconfiguredFeaturesHaveNoSeries() throws {
    let e = Exposition(ClusterMetrics.render(Self.run.snapshot(0, node: 0), version: "1"))
    #expect(e[#"ccagent_link_up{link="lan"}"#] == nil)
    #expect(!e.names().contains { $0.hasPrefix("ccagent_session_sync") })
    #expect(!e.names().contains { $0.hasPrefix("ccagent_witness") })
  }

  @Test func valuesFollowTheSnapshot() throws {
    for index in 0...2 {
      let snapshot = try #require(Self.run.snapshot(index, node: 0))
      let e = Exposition(ClusterMetrics.render(snapshot, version: "9.8.7"))
      #expect(e["ccagent_up"] == 1)
      #expect(e[#"ccagent_build_info{version="9.8.7"}"#] == 1)
      #expect(e["ccagent_cluster_id"] == 1)
      #expect(e["ccagent_local_node"] == 0)
      for group in snapshot.status.redundancyGroups {
        let rg = #"rg="\#(group.id)""#
        #expect(
          e["ccagent_redundancy_group_failovers_total{\(rg)}"] == Double(group.failoverCount))
        for row in group.nodes {
          let key = #"{\#(rg),node="\#(row.node)"}"#
          #expect(
            e["ccagent_redundancy_group_state\(key)"] == Double(row.status.rawValue),
            "rg \(group.id) node \(row.node) \(row.status)")
          #expect(e["ccagent_redundancy_group_priority\(key)"] == Double(row.priority))
          #expect(e["ccagent_redundancy_group_weight\(key)"] == row.weight.map(Double.init))
          for (_, code, _) in FailureCodes.all {
            let failure =
              #"ccagent_redundancy_group_failure{\#(rg),node="\#(row.node)",code="\#(code)"}"#
            #expect(
              e[failure] == (row.weight == nil ? nil : row.monitorFailures.contains(code) ? 1 : 0))
          }
        }
      }
      let s = snapshot.statistics
      #expect(e[#"ccagent_link_sent_total{link="control"}"#] == Double(s.heartbeatsSent))
      #expect(e[#"ccagent_link_received_total{link="fabric"}"#] == Double(s.probesReceived))
      #expect(e[#"ccagent_link_rejected_total{link="control"}"#] == Double(s.heartbeatErrors))
      #expect(e["ccagent_split_brain_detected_total"] == Double(snapshot.splitBrain.count))
      #expect(e[#"ccagent_reth_active{reth="reth0"}"#] != nil)
      #expect(e[#"ccagent_reth_members{reth="reth0"}"#] == 1)
      #expect(e[#"ccagent_reth_redundancy_group{reth="reth0"}"#] == 1)
    }
  }

  @Test func aFailoverShowsAsNumbersNotAsNewSeries() throws {
    let before = Exposition(ClusterMetrics.render(Self.run.snapshot(0, node: 0), version: "1"))
    let after = Exposition(ClusterMetrics.render(Self.run.snapshot(1, node: 0), version: "1"))
    let primary = Double(RedundancyGroupState.primary.rawValue)
    let secondary = Double(RedundancyGroupState.secondary.rawValue)
    #expect(before[#"ccagent_redundancy_group_state{rg="1",node="0"}"#] == primary)
    #expect(after[#"ccagent_redundancy_group_state{rg="1",node="1"}"#] == primary)
    #expect(after[#"ccagent_redundancy_group_state{rg="1",node="0"}"#] != primary)
    #expect(before[#"ccagent_redundancy_group_state{rg="1",node="1"}"#] == secondary)
    #expect(after[#"ccagent_redundancy_group_failure{rg="1",node="0",code="IF"}"#] == 1)
    #expect(before[#"ccagent_redundancy_group_failure{rg="1",node="0",code="IF"}"#] == 0)
    #expect(after[#"ccagent_interface_monitor_up{rg="1",index="1",interface="eth1"}"#] == 0)
    // The first election counts as a failover too (Junos's count), so: one more than before.
    let failovers = #"ccagent_redundancy_group_failovers_total{rg="1"}"#
    #expect(after[failovers] == (before[failovers] ?? 0) + 1)
    #expect(Set(before.samples.keys) == Set(after.samples.keys))
  }

  @Test func aLostPeerHasNoWeightOrFailureSamples() throws {
    let e = Exposition(ClusterMetrics.render(Self.run.snapshot(2, node: 0), version: "1"))
    #expect(e["ccagent_peer_up"] == 0)
    #expect(
      e[#"ccagent_redundancy_group_state{rg="0",node="1"}"#]
        == Double(RedundancyGroupState.lost.rawValue))
    #expect(e[#"ccagent_redundancy_group_weight{rg="0",node="1"}"#] == nil)
    #expect(e[#"ccagent_redundancy_group_weight{rg="0",node="0"}"#] != nil)
  }

  @Test func beforeTheFirstSnapshotOnlyUpAndBuildInfo() {
    let e = Exposition(ClusterMetrics.render(nil, version: "1"))
    #expect(e.samples == ["ccagent_up": 0, #"ccagent_build_info{version="1"}"#: 1])
  }

  @Test func everyFamilyHasItsTypeAndHelpAndNothingElseAppears() throws {
    let families = Dictionary(uniqueKeysWithValues: MetricFamily.all.map { ($0.name, $0) })
    #expect(families.count == MetricFamily.all.count, "a name is listed twice")
    var names: Set<String> = []
    for snapshot in [try #require(Self.run.snapshot(1, node: 0)), try Self.featured()] {
      let e = Exposition(ClusterMetrics.render(snapshot, version: "1"))
      for name in e.names() {
        let family = try #require(families[name], "\(name) is not in MetricFamily.all")
        #expect(e.types[name] == family.kind.rawValue)
        #expect(e.helps[name] == family.help)
        #expect(family.kind == .counter ? name.hasSuffix("_total") : !name.hasSuffix("_total"))
      }
      names.formUnion(e.names())
    }
    // The expositions of the two snapshots use every family.
    #expect(names == Set(families.keys))
  }

  @Test func theStateHelpIsTheMIBEnumeration() {
    #expect(
      MetricFamily.state.help.hasSuffix(
        "1=hold 2=primary 3=secondary-hold 4=secondary 5=ineligible 6=disabled 7=lost"))
  }

  /// The README's Prometheus section lists exactly the families, with their types.
  @Test func theReadmeListsEveryMetric() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let section = try #require(
      readme.components(separatedBy: "\n## Prometheus metrics\n").dropFirst().first?
        .components(separatedBy: "\n## ").first)
    var documented: [String: String] = [:]
    for line in section.split(separator: "\n") where line.hasPrefix("| `ccagent_") {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
      documented[String(name.prefix { $0 != "{" })] = cells[1]
    }
    #expect(
      documented
        == Dictionary(uniqueKeysWithValues: MetricFamily.all.map { ($0.name, $0.kind.rawValue) }))
  }
}
