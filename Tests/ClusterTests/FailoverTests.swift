import Cluster
import ClusterTestSupport
import Testing

@Suite("Monitors, preempt, hold-down, manual failover (DESIGN §3.3–3.6)")
struct FailoverTests {
  /// The seed's example: two weight-150 interfaces on RG1.
  static let seed = """
    set chassis cluster cluster-id 1
    set chassis cluster redundancy-group 0 node 0 priority 200
    set chassis cluster redundancy-group 0 node 1 priority 100
    set chassis cluster redundancy-group 1 node 0 priority 150
    set chassis cluster redundancy-group 1 node 1 priority 100
    set chassis cluster redundancy-group 1 interface-monitor eth14 weight 150
    set chassis cluster redundancy-group 1 interface-monitor eth15 weight 150

    """

  @Test func seedOneInterfaceDownLeaves105SecondFailsOver() {
    let run = ScenarioRun(
      Self.seed + """
        ---
        +0s boot node0
        +0s boot node1
        +4s status
        +0s link down node0 eth14
        +1s status
        +0s link down node0 eth15
        +1s status
        """)
    #expect(run.primary(1, group: 1) == 0)
    #expect(run.row(1, node: 0, group: 1, of: 0)?.weight == 105)
    #expect(run.row(1, node: 0, group: 1, of: 0)?.priority == 150)
    #expect(run.primary(2, group: 1) == 1)
    #expect(run.row(2, node: 0, group: 1, of: 0)?.priority == 0)
    #expect(run.row(2, node: 0, group: 1, of: 0)?.monitorFailures == ["IF"])
    #expect(run.row(2, node: 1, group: 1, of: 0)?.monitorFailures == ["IF"])
    #expect(run.failoverCount(2, node: 0, group: 1) == run.failoverCount(0, node: 0, group: 1)! + 1)
    #expect(run.failoverCount(2, node: 1, group: 1) == 2)
    // RG0 does not move: interface monitors belong to RG1.
    #expect(run.primary(2, group: 0) == 0)
    // The peer takes over one link round trip after the link goes down, not after a timeout.
    let down = run.transitions.first { $0.node == 0 && $0.change.to == .secondaryHold }
    let up = run.transitions.first {
      $0.node == 1 && $0.change.group == 1 && $0.change.to == .primary
    }
    #expect(down?.change.reason == "monitor failure (IF)")
    #expect(up.map { $0.time - down!.time } == .milliseconds(1))
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func aFailureThatClearsBeforeThePeerAnswersDoesNotTakeTheGroupBack() {
    // Found by the soak (a flapping fabric link): node0 gives RG1 up, its failure clears 1 ms
    // later, before node1's "primary" arrives. Node0 is in secondary-hold and must not take
    // RG1 back on priority while node1 is taking it, or both are primary until split-brain
    // resolution.
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +4s link down node0 eth1
        +1ms link up node0 eth1
        +5ms status
        +2s status
        """)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
    #expect(run.dualPrimary.isEmpty)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.primary(1, group: 1) == 1)
    #expect(
      run.transitions(node: 0, group: 1) == [
        "hold -> primary", "primary -> secondary-hold", "secondary-hold -> secondary",
      ])
  }

  @Test func withoutPreemptRecoveredNodeStaysSecondary() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +4s link down node0 eth1
        +2s link up node0 eth1
        +5s status
        """)
    #expect(run.primary(0, group: 1) == 1)
  }

  @Test func preemptWaitsForDelayThenTakesBack() {
    let run = ScenarioRun(
      baseConfiguration("set chassis cluster redundancy-group 1 preempt delay 5") + """
        ---
        +0s boot node0
        +0s boot node1
        +4s link down node0 eth1
        +2s link up node0 eth1
        +4s status
        +2s status
        """)
    #expect(run.primary(0, group: 1) == 1)  // 4 s after recovery: delay 5 s not over
    #expect(run.primary(1, group: 1) == 0)
    let preempt = run.transitions.first { $0.change.reason == "preempt" }
    #expect(preempt?.node == 1)
    #expect(preempt?.time == .milliseconds(11_001))
  }

  @Test func preemptLimitStopsPreemptionUntilReset() {
    var events = "+0s boot node0\n+0s boot node1\n"
    for _ in 0..<3 {
      events += "+4s link down node0 eth1\n+2s link up node0 eth1\n"
    }
    events += "+4s status\n+0s failover reset redundancy-group 1\n+4s status\n"
    let run = ScenarioRun(
      baseConfiguration(
        "set chassis cluster redundancy-group 1 preempt delay 1 limit 2 period 600") + "---\n"
        + events)
    // Two preemptive failovers are allowed; the third attempt stops preemption until reset.
    let preempts = run.transitions.filter { $0.change.reason == "preempt" }
    #expect(preempts.filter { $0.time < .milliseconds(22_000) }.count == 2)
    #expect(preempts.count == 3)
    #expect(run.events(named: "preempt-limit-reached").count == 1)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.primary(1, group: 1) == 0)
  }

  @Test func holdDownDelaysSecondFailoverAndSecondaryHoldLasts() {
    let run = ScenarioRun(
      baseConfiguration(
        """
        set chassis cluster redundancy-group 1 hold-down-interval 10
        set chassis cluster redundancy-group 1 interface-monitor eth2 weight 255
        """) + """
          ---
          +0s boot node0
          +0s boot node1
          +4s link down node0 eth1
          +1s status
          +0s link down node1 eth2
          +0s link up node0 eth1
          +5s status
          +6s status
          """)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.status == .secondaryHold)
    #expect(run.primary(1, group: 1) == 1)  // node1 failed too, but hold-down has 4 s left
    #expect(run.primary(2, group: 1) == 0)
    let back = run.transitions.first { $0.node == 1 && $0.change.to == .secondaryHold }
    #expect(back?.time == .milliseconds(14_001))  // node1 took over at 4.001 s
    let ready = run.transitions.first {
      $0.node == 0 && $0.change.reason == "ready to become secondary"
    }
    #expect(ready?.time == .milliseconds(14_000))
  }

  @Test func manualFailoverMovesGroupAndShowsManualOnBothNodes() {
    let run = ScenarioRun(
      baseConfiguration("set chassis cluster redundancy-group 1 preempt") + """
        ---
        +0s boot node0
        +0s boot node1
        +4s failover redundancy-group 1 node 1
        +2s status
        +0s failover reset redundancy-group 1
        +3s status
        """)
    #expect(run.primary(0, group: 1) == 1)
    for node in 0...1 {
      #expect(run.row(0, node: node, group: 1, of: 1)?.priority == 255)
      #expect(run.row(0, node: node, group: 1, of: 0)?.manualFailover == true)
    }
    #expect(run.transitions.contains { $0.change.reason == "manual failover" })
    // After reset, preempt brings it back to the better priority.
    #expect(run.primary(1, group: 1) == 0)
    #expect(run.row(1, node: 1, group: 1, of: 0)?.manualFailover == false)
  }

  @Test func manualFailoverRefusals() {
    let run = ScenarioRun(
      baseConfiguration(
        """
        set chassis cluster redundancy-group 1 hold-down-interval 60
        set chassis cluster redundancy-group 1 interface-monitor eth2 weight 255 node 1
        """) + """
          ---
          +0s boot node0
          +0s boot node1
          +4s failover redundancy-group 7 node 1
          +0s failover redundancy-group 1 node 0
          +0s link down node1 eth2
          +1s failover redundancy-group 1 node 1
          +0s link up node1 eth2
          +1s failover redundancy-group 1 node 1
          +1s failover redundancy-group 1 node 0
          +0s failover reset redundancy-group 0
          """)
    let refusals = run.refusals
    #expect(refusals.count == 5)
    #expect(refusals[0] == "redundancy-group 7 is not configured")
    #expect(refusals[1] == "node0 is already primary for redundancy-group 1")
    #expect(refusals[2].hasPrefix("node1 is not eligible for redundancy-group 1"))
    #expect(refusals[3].contains("hold-down interval has not expired: 59 s remaining"))
    #expect(refusals[4] == "redundancy-group 0 is not in manual failover")
  }

  @Test func monitoringBeatsManualFailover() {
    let run = ScenarioRun(
      baseConfiguration(
        "set chassis cluster redundancy-group 1 interface-monitor eth2 weight 255 node 1")
          + """
          ---
          +0s boot node0
          +0s boot node1
          +4s failover redundancy-group 1 node 1
          +3s link down node1 eth2
          +2s status
          """)
    #expect(run.primary(0, group: 1) == 0)
    #expect(run.row(0, node: 0, group: 1, of: 0)?.manualFailover == false)
    #expect(
      run.events(named: "manual-failover-reset").contains { $0.event.summary.contains("failback") })
  }

  @Test func weightZeroOnBothNodesEndsOnNode0() {
    let run = ScenarioRun(
      baseConfiguration().replacingPriority(group: 1, node0: 100, node1: 200) + """
        ---
        +0s boot node0
        +0s boot node1
        +4s status
        +0s link down node1 eth1
        +0s link down node0 eth1
        +3s status
        """)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.primary(1, group: 1) == 0)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func rethMonitorIsDownOnlyWhenAllMembersAreDown() {
    let run = ScenarioRun(
      """
      set chassis cluster cluster-id 1
      set chassis cluster reth-count 1
      set chassis cluster redundancy-group 0 node 0 priority 200
      set chassis cluster redundancy-group 0 node 1 priority 100
      set chassis cluster redundancy-group 1 node 0 priority 200
      set chassis cluster redundancy-group 1 node 1 priority 100
      set chassis cluster redundancy-group 1 interface-monitor reth0 weight 255
      set interfaces reth0 redundant-ether-options redundancy-group 1
      set interfaces eth1 gigether-options redundant-parent reth0
      set interfaces eth2 gigether-options redundant-parent reth0
      ---
      +0s boot node0
      +0s boot node1
      +4s link down node0 eth1
      +1s status
      +0s link down node0 eth2
      +1s status
      """)
    #expect(run.primary(0, group: 1) == 0)
    #expect(run.primary(1, group: 1) == 1)
  }
}
