import Cluster
import ClusterTestSupport
import Testing

@Suite("Hold and election (DESIGN §3.2, §3.7)")
struct ElectionTests {
  @Test func bothBootWithinWindowHigherPriorityWins() {
    // node1 has the better RG1 priority and boots 1 s after node0: inside the 3 s window.
    let run = ScenarioRun(
      baseConfiguration().replacingPriority(group: 1, node0: 100, node1: 150) + """
        ---
        +0s boot node0
        +1s boot node1
        +5s status
        """)
    #expect(run.primary(0, group: 0) == 0)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.transitions(node: 0, group: 1) == ["hold -> secondary"])
    #expect(run.failoverCount(0, node: 0, group: 1) == 1)
    #expect(run.failoverCount(0, node: 1, group: 1) == 1)
    #expect(run.dualPrimaryWhileConnected.isEmpty)
  }

  @Test func nodeUpFirstStaysPrimaryWithoutPreempt() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node1
        +5s boot node0
        +5s status
        """)
    #expect(run.primary(0, group: 0) == 1)
    #expect(run.primary(0, group: 1) == 1)
    #expect(run.transitions(node: 1, group: 0) == ["hold -> primary"])
    #expect(run.transitions.first { $0.node == 1 }?.change.reason == "hold timer expired")
    #expect(run.transitions.first { $0.node == 1 }?.time == .milliseconds(3000))
  }

  @Test func fastHeartbeatsStillWaitOneSecondInHold() {
    // At 10 ms heartbeats the link failure timeout is 30 ms: a restarted agent whose peer's
    // first heartbeat is 400 ms late (a loaded host) must not elect itself and split the pair.
    let configuration = baseConfiguration().replacing(
      "heartbeat-interval 1000", with: "heartbeat-interval 10")
    let run = ScenarioRun(
      configuration + """
        ---
        +0s boot node0
        +0s boot node1
        +5s cut control-link
        +0s cut fabric-link
        +0s crash node0
        +0s boot node0
        +400ms heal control-link
        +0s heal fabric-link
        +2s status
        """)
    let rejoined = run.transitions.filter {
      $0.node == 0 && $0.change.group == 0 && $0.time > .milliseconds(5000)
    }
    #expect(rejoined.map { "\($0.change.from) -> \($0.change.to)" } == ["hold -> secondary"])
    #expect(run.primary(0, group: 0) == 1)
    #expect(run.events(named: "split-brain-detected").isEmpty)
    // The first election waits the same one second floor.
    #expect(run.transitions.first { $0.node == 0 }?.time == .milliseconds(1000))
  }

  @Test func tieGoesToNode0() {
    let run = ScenarioRun(
      baseConfiguration().replacingPriority(group: 1, node0: 100, node1: 100) + """
        ---
        +0s boot node1
        +500ms boot node0
        +5s status
        """)
    #expect(run.primary(0, group: 1) == 0)
    let reason = run.transitions.first { $0.node == 0 && $0.change.group == 1 }?.change.reason
    #expect(reason?.contains("node0 wins") == true)
  }

  @Test func firstElectionCountsAndClearZeroesBothNodes() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +0s boot node1
        +5s status
        +0s clear failover-count
        +1s status
        +0s link down node0 eth1
        +1s status
        """)
    #expect(run.failoverCount(0, node: 0, group: 1) == 1)
    #expect(run.failoverCount(0, node: 1, group: 1) == 1)
    #expect(run.failoverCount(1, node: 0, group: 1) == 0)
    #expect(run.failoverCount(1, node: 1, group: 1) == 0)
    #expect(run.failoverCount(2, node: 0, group: 1) == 1)
    #expect(run.failoverCount(2, node: 1, group: 1) == 1)
  }

  @Test func transitionOutOfHoldIsMarked() {
    let run = ScenarioRun(
      baseConfiguration() + """
        ---
        +0s boot node0
        +4s status
        """)
    let first = run.transitions.first { $0.change.group == 0 }
    #expect(first?.change.isFromHold == true)
  }
}

extension String {
  func replacingPriority(group: Int, node0: Int, node1: Int) -> String {
    let prefix = "set chassis cluster redundancy-group \(group) node "
    return split(separator: "\n", omittingEmptySubsequences: false).map { line in
      if line.hasPrefix(prefix + "0 priority") { return prefix + "0 priority \(node0)" }
      if line.hasPrefix(prefix + "1 priority") { return prefix + "1 priority \(node1)" }
      return String(line)
    }.joined(separator: "\n")
  }
}
