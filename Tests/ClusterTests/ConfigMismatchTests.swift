import Cluster
import Testing

@Suite("CF: a configuration mismatch moves no RG by priority (DESIGN §3.1, issue 13 item 14)")
struct ConfigMismatchTests {
  static let original = pairConfiguration("set chassis cluster redundancy-group 1 preempt delay 1")
  /// Raises node1's RG1 priority above node0's.
  static let raised = pairConfiguration(
    """
    set chassis cluster redundancy-group 1 preempt delay 1
    set chassis cluster redundancy-group 1 node 1 priority 250
    """)

  /// Both nodes run `original` with node0 primary for RG1; then only node1's file is edited
  /// to raise its priority and reloaded: both nodes raise CF.
  static func mismatchedPair() -> MachinePair {
    var pair = MachinePair(configuration: original)
    pair.start()
    pair.run(for: .seconds(2))
    pair.reload(1, raised)
    return pair
  }

  @Test func noPreemptWhileConfigMismatchIsRaised() {
    var pair = Self.mismatchedPair()
    pair.run(for: .seconds(1))
    #expect(pair.state(0, group: 1) == .primary)
    #expect(pair.emitted[0].contains { $0.name == "config-mismatch" })
    #expect(pair.emitted[1].contains { $0.name == "config-mismatch" })
    pair.run(for: .seconds(10))
    #expect(pair.state(0, group: 1) == .primary)
    #expect(pair.state(1, group: 1) == .secondary)
    #expect(!pair.transitions(0).contains { $0.reason == "preempt" })
  }

  @Test func monitorFailoverStillActsWhileConfigMismatchIsRaised() {
    var pair = Self.mismatchedPair()
    #expect(pair.state(0, group: 1) == .primary)
    let actions = pair.nodes[0].interfaceChanged("eth1", state: .down, now: pair.now)
    pair.handle(actions, from: 0)
    pair.run(for: .seconds(1))
    #expect(pair.state(1, group: 1) == .primary)
    #expect(pair.transitions(0).contains { $0.reason.hasPrefix("monitor failure") })
  }

  @Test func peerLossStillActsWhileConfigMismatchIsRaised() {
    var pair = Self.mismatchedPair()
    pair.cut = [.control, .fabric]
    pair.run(for: .seconds(1))
    #expect(pair.state(1, group: 1) == .primary)
    #expect(pair.transitions(1).contains { $0.reason == "peer lost" })
  }

  /// Once node0's file says the same (CF clears), preempt moves RG1 to node1 as configured.
  @Test func preemptActsOnceTheConfigurationsMatch() {
    var pair = Self.mismatchedPair()
    pair.run(for: .seconds(3))
    pair.reload(0, Self.raised)
    pair.run(for: .seconds(3))
    #expect(pair.emitted[0].contains { $0.name == "config-match" })
    #expect(pair.state(1, group: 1) == .primary)
    #expect(pair.transitions(0).contains { $0.reason == "preempt" })
  }
}
