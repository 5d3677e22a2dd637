import Cluster
import ClusterTestSupport
import Testing

@Suite("Heartbeats, links, peer, split brain (DESIGN §3.8)")
struct LinkFailureTests {
  @Test func peerCrashIsDetectedWithinIntervalTimesThreshold() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +5s crash node0
        +4s status
        """)
    let lost = run.events(named: "peer-lost").first { $0.node == 1 }
    // Last heartbeat from node0 arrived at 5.001 s at the latest; 3 × 1 s later it is lost.
    #expect(lost.map { $0.time <= .milliseconds(5_001 + 3_000) } == true)
    #expect(lost.map { $0.time >= .milliseconds(4_001 + 3_000) } == true)
    let takeover = run.transitions.filter { $0.node == 1 && $0.change.to == .primary }
    #expect(takeover.count == 2)
    #expect(takeover.allSatisfy { $0.change.reason == "peer lost" && $0.time == lost?.time })
    #expect(run.row(0, node: 1, group: 1, of: 0)?.status == .lost)
    #expect(run.row(0, node: 1, group: 1, of: 0)?.weight == nil)
  }

  @Test func restartedNodeRejoinsAsSecondary() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +5s crash node0
        +1s boot node0
        +5s status
        """)
    // node0 restarted within the detection window: node1 takes over at once, node0 rejoins.
    #expect(run.primary(0, group: 0) == 1)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.status == .secondary)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func peerLostThenRestartedIsFollowedAfresh() {
    // Regression (soak): after "peer lost" the old epoch's high sequence numbers were kept,
    // so a restarted peer's later messages were all taken as stale and its view froze.
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +30s crash node0
        +5s boot node0
        +10s status
        """)
    #expect(run.row(0, node: 1, group: 1, of: 0)?.status == .secondary)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.status == .secondary)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func controlLinkCutMakesRG0SecondaryIneligibleThenDisabled() {
    let run = ScenarioRun(
      baseConfiguration("set chassis cluster control-link-failure-timeout 20").replacingPriority(
        group: 1, node0: 100, node1: 200) + """
          ---
          +0s boot node0
          +0s boot node1
          +5s status
          +0s cut control-link
          +5s status
          +20s status
          +0s heal control-link
          +10s status
          """)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.events(named: "control-link-down").count == 2)
    // node1 is the RG0 secondary: ineligible for all RGs; node0 takes RG1 over.
    #expect(run.row(1, node: 1, group: 0, of: 1)?.status == .ineligible)
    #expect(run.row(1, node: 1, group: 1, of: 1)?.status == .ineligible)
    #expect(run.primary(1, group: 1) == 0)
    #expect(run.row(2, node: 1, group: 1, of: 1)?.status == .disabled)
    // Without control-link-recovery, disabled sticks after the link heals.
    #expect(run.row(3, node: 1, group: 1, of: 1)?.status == .disabled)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func controlLinkRecoveryRejoinsAsSecondary() {
    let run = ScenarioRun(
      baseConfiguration(
        """
        set chassis cluster control-link-failure-timeout 10
        set chassis cluster control-link-recovery
        """) + """
          ---
          +0s boot node0
          +0s boot node1
          +5s cut control-link
          +15s status
          +0s heal control-link
          +5s status
          """)
    #expect(run.row(0, node: 1, group: 0, of: 1)?.status == .disabled)
    #expect(run.row(1, node: 1, group: 0, of: 1)?.status == .secondary)
    #expect(
      run.transitions.contains { $0.node == 1 && $0.change.reason == "control link recovered" })
  }

  @Test func controlLinkHealedBeforeTimeoutClearsIneligible() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +5s cut control-link
        +10s heal control-link
        +3s status
        """)
    #expect(run.row(0, node: 1, group: 0, of: 1)?.status == .secondary)
    #expect(run.primary(0, group: 0) == 0)
  }

  @Test func fabricCutFlagsRG0SecondaryAndMovesDataGroups() {
    let run = ScenarioRun(
      baseConfiguration().replacingPriority(group: 1, node0: 100, node1: 200) + """
        ---
        +0s boot node0
        +0s boot node1
        +5s status
        +0s cut fabric-link
        +5s status
        +0s heal fabric-link
        +3s status
        """)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.primary(1, group: 1) == 0)
    #expect(run.row(1, node: 1, group: 1, of: 1)?.monitorFailures == ["FL"])
    #expect(run.row(1, node: 1, group: 0, of: 1)?.monitorFailures == [])
    #expect(run.primary(1, group: 0) == 0)
    #expect(run.row(2, node: 1, group: 1, of: 1)?.monitorFailures == [])
    #expect(run.transitions.contains { $0.change.reason == "fabric link failure" })
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func bothLinksCutGivesTwoPrimariesThenHealResolvesSplitBrain() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +5s cut control-link
        +0s cut fabric-link
        +5s status
        +0s heal control-link
        +0s heal fabric-link
        +3s status
        """)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.status == .primary)
    #expect(run.row(0, node: 1, group: 1, of: 1)?.status == .primary)
    #expect(run.events(named: "split-brain-detected").map(\.node).sorted() == [0, 1])
    #expect(run.events(named: "split-brain-resolved").map(\.node).sorted() == [0, 1])
    let resolved = run.events(named: "split-brain-resolved").first
    if case .splitBrainResolved(let r)? = resolved?.event {
      #expect(r.winner == 0)
      #expect(r.groups == [0, 1])
    } else {
      Issue.record("no resolution")
    }
    #expect(run.primary(1, group: 0) == 0)
    #expect(run.primary(1, group: 1) == 0)
    #expect(run.row(1, node: 1, group: 1, of: 1)?.status == .secondary)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func configMismatchRaisesCFOnBothNodesAndChangesNoRole() {
    let base = baseConfiguration()
    let other = baseConfiguration(
      "set chassis cluster redundancy-group 1 interface-monitor eth9 weight 10")
    let run = ScenarioRun(
      base + """
        ---
        +0s boot node0
        +0s boot node1
        +5s status
        """, configurations: [base, other])
    #expect(run.events(named: "config-mismatch").count == 2)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.monitorFailures == ["CF"])
    #expect(run.row(0, node: 1, group: 1, of: 1)?.monitorFailures == ["CF"])
    #expect(run.primary(0, group: 1) == 0)
  }
}

@Suite("IP monitoring (DESIGN §3.5)")
struct IPMonitoringTests {
  static func configuration(threshold: Int = 0) -> String {
    baseConfiguration(
      """
      set chassis cluster redundancy-group 1 ip-monitoring global-weight 255
      set chassis cluster redundancy-group 1 ip-monitoring global-threshold \(threshold)
      set chassis cluster redundancy-group 1 ip-monitoring retry-interval 1
      set chassis cluster redundancy-group 1 ip-monitoring retry-count 5
      set chassis cluster redundancy-group 1 ip-monitoring family inet 192.0.2.1 weight 100
      set chassis cluster redundancy-group 1 ip-monitoring family inet 192.0.2.2 weight 100
      """)
  }

  @Test func primaryUnreachableSecondaryReachableFailsOverAfterRetryCount() {
    let run = ScenarioRun(
      Self.configuration() + """
        ---
        +0s boot node0
        +0s boot node1
        +4s ip unreachable node0 192.0.2.1
        +4s status
        +3s status
        """)
    #expect(run.primary(0, group: 1) == 0)  // 4 lost pings of 5
    #expect(run.primary(1, group: 1) == 1)
    #expect(run.row(1, node: 0, group: 1, of: 0)?.monitorFailures == ["IP"])
    let failure = run.events(named: "ip-monitor-failure").first
    #expect(failure?.time == .milliseconds(9_000))  // pings at 5,6,7,8,9 s lost
  }

  /// The agent hands over one wake-up's results together: each counts, one evaluation follows.
  @Test func batchedResultsCountEachAndEvaluateOnce() throws {
    let configuration = try #require(
      ConfigurationParser.parse(Self.configuration(), file: "t.conf").configuration)
    var machine = ClusterStateMachine(
      configuration: configuration, localNode: 0, bootEpoch: 1, configDigest: 0)
    _ = machine.start(now: .zero)
    let failures = (0..<5).map { _ in PingResult(address: "192.0.2.1", replied: false) }
    let early = machine.pingResults(Array(failures.prefix(4)), now: .milliseconds(1000))
    #expect(!early.contains { if case .emit(.ipMonitorChanged) = $0 { true } else { false } })
    let actions = machine.pingResults(
      [failures[4], PingResult(address: "192.0.2.2", replied: true)], now: .milliseconds(2000))
    let changes = actions.compactMap { action -> IPMonitorChange? in
      if case .emit(.ipMonitorChanged(let change)) = action { return change }
      return nil
    }
    #expect(changes.map(\.address) == ["192.0.2.1"])
    #expect(changes.first?.reachable == false)
    #expect(
      machine.snapshot(now: .milliseconds(2000)).ipMonitors.map(\.reachable) == [false, true])
  }

  @Test func bothUnreachableChangesNothing() {
    let run = ScenarioRun(
      Self.configuration() + """
        ---
        +0s boot node0
        +0s boot node1
        +4s ip unreachable node0 192.0.2.1
        +0s ip unreachable node1 192.0.2.1
        +8s status
        """)
    #expect(run.primary(0, group: 1) == 0)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.monitorFailures == ["IP"])
    #expect(run.row(0, node: 0, group: 1, of: 1)?.monitorFailures == ["IP"])
  }

  @Test func globalThresholdNeedsEnoughFailedWeight() {
    let run = ScenarioRun(
      Self.configuration(threshold: 150) + """
        ---
        +0s boot node0
        +0s boot node1
        +4s ip unreachable node0 192.0.2.1
        +7s status
        +0s ip unreachable node0 192.0.2.2
        +7s status
        +0s ip reachable node0 192.0.2.1
        +0s ip reachable node0 192.0.2.2
        +2s status
        """)
    #expect(run.primary(0, group: 1) == 0)  // 100 of 150: stage one only
    #expect(run.row(0, node: 0, group: 1, of: 0)?.weight == 255)
    #expect(run.primary(1, group: 1) == 1)  // 200 ≥ 150: global-weight 255 taken off
    #expect(run.row(1, node: 0, group: 1, of: 0)?.weight == 0)
    #expect(run.row(2, node: 0, group: 1, of: 0)?.weight == 255)
    #expect(run.events(named: "ip-monitor-recovery").count == 2)
  }
}
