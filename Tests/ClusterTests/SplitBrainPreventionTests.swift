import Cluster
import ClusterTestSupport
import Testing

/// DESIGN §12: the LAN heartbeat and the witness, as scenarios through two real state machines
/// and the real `WitnessArbiter`, with the dual-primary invariant checked at every instant.
@Suite("Split-brain prevention: LAN heartbeat and witness (DESIGN §12)")
struct SplitBrainPreventionTests {
  static let lan = """
    set chassis cluster node 0 lan-address 192.0.2.2
    set chassis cluster node 1 lan-address 192.0.2.3
    """
  static let witness = "set chassis cluster witness address 198.51.100.9 port 7402"

  /// Which paths a fault cuts: the three links between the nodes (both ways) and each node's
  /// path to the witness.
  struct Fault: CustomStringConvertible, Sendable {
    var control: Bool
    var fabric: Bool
    var lan: Bool
    var witness0: Bool
    var witness1: Bool

    static var all: [Fault] {
      (0..<32).map { bits in
        Fault(
          control: bits & 1 != 0, fabric: bits & 2 != 0, lan: bits & 4 != 0,
          witness0: bits & 8 != 0, witness1: bits & 16 != 0)
      }
    }

    var steps: String {
      var lines: [String] = []
      if control { lines.append("+0s cut control-link") }
      if fabric { lines.append("+0s cut fabric-link") }
      if lan { lines.append("+0s cut lan-link") }
      if witness0 { lines.append("+0s cut witness-link node0") }
      if witness1 { lines.append("+0s cut witness-link node1") }
      return lines.joined(separator: "\n")
    }

    var description: String {
      let cut = [
        control ? "control" : nil, fabric ? "fabric" : nil, lan ? "lan" : nil,
        witness0 ? "witness-node0" : nil, witness1 ? "witness-node1" : nil,
      ].compactMap { $0 }
      return cut.isEmpty ? "nothing cut" : "cut " + cut.joined(separator: ",")
    }
  }

  /// Boots a settled pair (node0 primary of RG0 and RG1), applies `fault` at 10 s and runs
  /// 40 s more.
  static func run(_ fault: Fault, extra: String) -> ScenarioRun {
    ScenarioRun(
      baseConfiguration(extra + "\nset chassis cluster control-link-failure-timeout 600") + """
        ---
        +0s boot node0
        +0s boot node1
        +10s status
        \(fault.steps)
        +40s status
        """)
  }

  static func primaries(_ run: ScenarioRun, group: Int) -> [Int] {
    (0...1).filter { run.row(1, node: $0, group: group, of: $0)?.status == .primary }
  }

  @Test(arguments: Fault.all)
  func witnessAndLANNeverAllowTwoPrimaries(_ fault: Fault) {
    let run = Self.run(fault, extra: Self.lan + "\n" + Self.witness)
    #expect(run.primary(0, group: 0) == 0, "\(fault)")
    #expect(run.dualPrimary.isEmpty, "\(fault): \(run.dualPrimary.prefix(3))")
    let peerHeard = !(fault.control && fault.fabric && fault.lan)
    let expected: [Int]
    if peerHeard {
      expected = [0]  // as today: node0 stays primary; a cut control link benches node1
    } else if !fault.witness0 {
      expected = [0]  // the current primary keeps the grant
    } else if !fault.witness1 {
      expected = [1]  // only node1 reaches the witness: node0 gives up, node1 takes over
    } else {
      expected = []  // neither: nobody may own the reths
    }
    for group in [0, 1] {
      #expect(Self.primaries(run, group: group) == expected, "\(fault) rg\(group)")
    }
    if peerHeard && fault.control {
      #expect(run.row(1, node: 1, group: 0, of: 1)?.status == .ineligible, "\(fault)")
    }
  }

  @Test(arguments: Fault.all.filter { !$0.witness0 && !$0.witness1 })
  func lanHeartbeatAloneKeepsThePeerAliveAndLosingAllLinksIsAsToday(_ fault: Fault) {
    let run = Self.run(fault, extra: Self.lan)
    let allCut = fault.control && fault.fabric && fault.lan
    // Without a witness, losing every path is SRX's split brain; anything less is not.
    #expect(run.dualPrimary.isEmpty == !allCut, "\(fault)")
    #expect(run.dualPrimaryWhileConnected.isEmpty, "\(fault)")
    #expect(Self.primaries(run, group: 0) == (allCut ? [0, 1] : [0]), "\(fault)")
    if fault.control && !allCut {
      #expect(run.row(1, node: 1, group: 1, of: 1)?.status == .ineligible, "\(fault)")
      #expect(run.events(named: "control-link-down").count == 2, "\(fault)")
    }
  }

  @Test(arguments: Fault.all.filter { !$0.lan })
  func witnessWithoutLANDecidesWhenControlAndFabricFail(_ fault: Fault) {
    let run = Self.run(fault, extra: Self.witness)
    #expect(run.dualPrimary.isEmpty, "\(fault): \(run.dualPrimary.prefix(3))")
    let isolated = fault.control && fault.fabric
    let expected: [Int] =
      !isolated ? [0] : !fault.witness0 ? [0] : !fault.witness1 ? [1] : []
    #expect(Self.primaries(run, group: 1) == expected, "\(fault)")
  }

  @Test func withoutEitherBehaviourStaysAsToday() {
    let fault = Fault(control: true, fabric: true, lan: false, witness0: false, witness1: false)
    let run = Self.run(fault, extra: "")
    #expect(Self.primaries(run, group: 0) == [0, 1])
    #expect(run.transitions(node: 1, group: 1).last == "secondary -> primary")
    #expect(run.events(named: "witness-lost").isEmpty)
  }

  @Test func isolatedPrimaryGivesUpWithinTheBoundAndThePeerTakesOver() {
    let run = ScenarioRun(
      baseConfiguration(Self.witness) + """
        ---
        +0s boot node0
        +0s boot node1
        +10s cut control-link
        +0s cut fabric-link
        +0s cut witness-link node0
        +20s status
        """)
    #expect(run.dualPrimary.isEmpty, "\(run.dualPrimary.prefix(3))")
    let cutAt = ClusterTime.milliseconds(10_000)
    let lease = run.configuration.linkFailureTimeout
    let interval = run.configuration.heartbeatInterval
    let gaveUp = run.transitions.filter { $0.node == 0 && $0.change.from == .primary }
    #expect(gaveUp.count == 2)
    // The last answered request went out at most one interval before the cut; its answer
    // vouches for one lease.
    #expect(gaveUp.allSatisfy { $0.time <= cutAt + lease + interval })
    #expect(gaveUp.allSatisfy { $0.change.reason == "peer and witness lost" })
    let tookOver = run.transitions.filter { $0.node == 1 && $0.change.to == .primary }
    #expect(tookOver.count == 2)
    #expect(tookOver.allSatisfy { $0.change.reason == "peer lost (witness grant)" })
    #expect(tookOver.allSatisfy { t in gaveUp.allSatisfy { $0.time < t.time } })
    #expect(run.primary(0, group: 1) == nil)  // node0's own view: nobody it knows of
    #expect(run.row(0, node: 1, group: 1, of: 1)?.status == .primary)
    // node0 holds no reth while isolated.
    #expect(run.snapshot(0, node: 0)?.redundantEthernets.allSatisfy { !$0.active } ?? true)
    #expect(run.events(named: "witness-lost").contains { $0.node == 0 })
  }

  @Test func pathsCutOneAfterAnotherStillLeaveTheWitnessToDecide() {
    // The control link goes first: node1 is ineligible (control-link failure) until the fabric
    // goes too; then the peer is silent everywhere and only the witness decides.
    let run = ScenarioRun(
      baseConfiguration(Self.witness) + """
        ---
        +0s boot node0
        +0s boot node1
        +10s cut control-link
        +0s cut witness-link node0
        +5s status
        +0s cut fabric-link
        +20s status
        """)
    #expect(run.dualPrimary.isEmpty, "\(run.dualPrimary.prefix(3))")
    #expect(run.row(0, node: 1, group: 1, of: 1)?.status == .ineligible)
    #expect(run.row(1, node: 1, group: 1, of: 1)?.status == .primary)
    #expect(run.row(1, node: 0, group: 1, of: 0)?.status == .secondary)
  }

  @Test func noFailbackWhenTheLinksHeal() {
    let run = ScenarioRun(
      baseConfiguration(Self.witness) + """
        ---
        +0s boot node0
        +0s boot node1
        +10s cut control-link
        +0s cut fabric-link
        +0s cut witness-link node0
        +20s status
        +0s heal control-link
        +0s heal fabric-link
        +0s heal witness-link node0
        +20s status
        """)
    #expect(run.dualPrimary.isEmpty, "\(run.dualPrimary.prefix(3))")
    #expect(run.primary(1, group: 0) == 1)
    #expect(run.primary(1, group: 1) == 1)
    #expect(run.row(1, node: 0, group: 1, of: 0)?.status == .secondary)
    #expect(run.snapshot(1, node: 1)?.witness?.grantHolder == nil)  // released with the peer back
  }

  @Test func losingOnlyTheWitnessChangesNothing() {
    let run = ScenarioRun(
      baseConfiguration(Self.lan + "\n" + Self.witness) + """
        ---
        +0s boot node0
        +0s boot node1
        +10s status
        +0s crash witness
        +30s status
        """)
    #expect(run.events(named: "witness-lost").map(\.node).sorted() == [0, 1])
    let moves = run.transitions.filter { $0.time > .milliseconds(10_000) }
    #expect(moves.isEmpty, "\(moves.map { $0.change })")
    #expect(run.snapshot(1, node: 0)?.witness?.reachability == .lost)
    #expect(run.snapshot(0, node: 0)?.witness?.reachability == .up)
    #expect(run.snapshot(0, node: 0)?.witness?.lastContactMilliseconds != nil)
  }

  @Test func aWitnessLostBeforeThePeerMeansNobodyOwnsTheReths() {
    let run = ScenarioRun(
      baseConfiguration(Self.witness) + """
        ---
        +0s boot node0
        +0s boot node1
        +10s crash witness
        +10s cut control-link
        +0s cut fabric-link
        +20s status
        +0s boot witness
        +20s status
        """)
    #expect(run.dualPrimary.isEmpty)
    for node in 0...1 {
      #expect(run.row(0, node: node, group: 1, of: node)?.status != .primary)
      #expect(run.row(0, node: node, group: 0, of: node)?.status != .primary)
    }
    // A restarted witness grants nothing within its grace, then the current primary's claim
    // wins... node0 gave up, so the higher priority does: node0.
    #expect(run.row(1, node: 0, group: 1, of: 0)?.status == .primary)
    #expect(run.row(1, node: 1, group: 1, of: 1)?.status != .primary)
  }

  @Test func splitRolesHandOverWithoutOverlap() {
    // node0 primary of RG0, node1 of RG1 (manual failover): the grant goes to node0 (the
    // higher RG0 priority), node1 gives RG1 up before node0 may take it.
    let run = ScenarioRun(
      baseConfiguration(Self.witness) + """
        ---
        +0s boot node0
        +0s boot node1
        +8s failover redundancy-group 1 node 1
        +5s status
        +0s cut control-link
        +0s cut fabric-link
        +20s status
        """)
    #expect(run.row(0, node: 1, group: 1, of: 1)?.status == .primary)
    #expect(run.dualPrimary.isEmpty, "\(run.dualPrimary.prefix(3))")
    #expect(run.row(1, node: 0, group: 1, of: 0)?.status == .primary)
    #expect(run.row(1, node: 1, group: 1, of: 1)?.status == .secondary)
    let reasons = run.transitions.filter { $0.node == 1 && $0.change.from == .primary }
      .map(\.change.reason)
    #expect(reasons == ["witness grant to node0"])
  }

  @Test func bootingAloneWaitsForTheGrant() {
    let run = ScenarioRun(
      baseConfiguration(Self.witness) + """
        ---
        +0s cut witness-link node0
        +0s boot node0
        +10s status
        +0s heal witness-link node0
        +5s status
        """)
    #expect(run.row(0, node: 0, group: 0, of: 0)?.status == .hold)
    #expect(run.row(1, node: 0, group: 0, of: 0)?.status == .primary)
    #expect(run.transitions(node: 0, group: 0) == ["hold -> primary"])
  }

  @Test func lanHeartbeatsAreCountedAndShown() {
    let run = ScenarioRun(
      baseConfiguration(Self.lan) + """
        ---
        +0s boot node0
        +0s boot node1
        +10s status
        +0s cut lan-link
        +10s status
        """)
    let before = run.snapshot(0, node: 0)
    #expect(before?.status.lanLink == .up)
    #expect((before?.statistics.lanHeartbeatsReceived ?? 0) >= 9)
    #expect(before?.statistics.lanHeartbeatsSent == before?.statistics.heartbeatsSent)
    #expect(run.snapshot(1, node: 0)?.status.lanLink == .down)
    #expect(run.events(named: "lan-link-down").count == 2)
    #expect(run.transitions.filter { $0.time > .milliseconds(10_000) }.isEmpty)
    let text = StatusView.information(before!) { "\($0)" }
    #expect(text.contains("LAN heartbeat status: Up"))
    #expect(StatusView.statistics(before!).contains("LAN heartbeat statistics:"))
    // Without lan-address the JSON has no LAN fields.
    let plain = ScenarioRun(baseConfiguration() + "---\n+0s boot node0\n+1s status")
    #expect(!JSONView.encode(plain.status(0, node: 0)!).contains("lanLink"))
  }
}
