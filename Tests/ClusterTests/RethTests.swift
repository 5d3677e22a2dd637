import Testing

@testable import Cluster

private let rethConfiguration = """
  set chassis cluster cluster-id 1
  set chassis cluster reth-count 2
  set chassis cluster node 0 control-address 10.0.0.1
  set chassis cluster node 1 control-address 10.0.0.2
  set chassis cluster redundancy-group 0 node 0 priority 200
  set chassis cluster redundancy-group 0 node 1 priority 100
  set chassis cluster redundancy-group 1 node 0 priority 150
  set chassis cluster redundancy-group 1 node 1 priority 100
  set chassis cluster redundancy-group 1 interface-monitor eth14 weight 255
  set chassis cluster redundancy-group 1 gratuitous-arp-count 6
  set interfaces reth0 redundant-ether-options redundancy-group 1
  set interfaces eth14 gigether-options redundant-parent reth0
  set interfaces reth0 unit 0 family inet address 192.0.2.1/24
  set interfaces reth0 unit 0 family inet6 address 2001:db8:1::1/64

  """

@Suite struct RethConfigurationTests {
  @Test func rethAddressesMembersAndOptionsParse() throws {
    let text =
      rethConfiguration + """
        set chassis cluster reth-mac juniper
        set interfaces eth20 gigether-options redundant-parent reth1 node 1
        set interfaces reth1 redundant-ether-options redundancy-group 1
        set interfaces reth0 unit 0 description "LAN side"

        """
    let result = ConfigurationParser.parse(text, file: "c.conf")
    let configuration = try #require(result.configuration, "\(result.diagnostics)")
    let reth0 = try #require(configuration.redundantEthernets["reth0"])
    #expect(reth0.addresses.map(\.description) == ["192.0.2.1/24", "2001:db8:1::1/64"])
    #expect(reth0.addresses.map(\.family) == [.inet, .inet6])
    #expect(configuration.redundancyGroups[1]?.gratuitousARPCount == 6)
    #expect(configuration.rethMAC == .juniper)
    let reth1 = try #require(configuration.redundantEthernets["reth1"])
    #expect(reth1.members(on: 1) == ["eth20"])
    #expect(reth1.members(on: 0).isEmpty)
  }

  @Test(arguments: [
    ("set interfaces reth0 unit 0 family inet address 192.0.2.300/24", 49, "is not an IPv4"),
    ("set interfaces reth0 unit 0 family inet address 192.0.2.9", 49, "needs a prefix length"),
    ("set interfaces reth0 unit 0 family inet6 address 2001:db8::1/129", 50, "1..128"),
    (
      "set interfaces reth1 unit 0 family inet address 192.0.2.1/24", 49,
      "already an address of reth0"
    ),
    (
      "set interfaces reth1 unit 0 family inet address 10.0.0.0/31", 49,
      "overlaps the node 0 control-address"
    ),
    ("set chassis cluster redundancy-group 1 gratuitous-arp-count 17", 61, "1..16"),
    ("set chassis cluster reth-mac shared", 30, "reth-mac must be local, juniper or member"),
  ])
  func badRethStatementsAreReportedWithTheirColumn(line: String, column: Int, message: String) {
    let text =
      rethConfiguration + "set interfaces reth1 redundant-ether-options redundancy-group 1\n" + line
      + "\n"
    let result = ConfigurationParser.parse(text, file: "c.conf")
    #expect(result.configuration == nil)
    let errors = result.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1, "\(errors)")
    #expect(errors.first?.line == 16)
    #expect(errors.first?.column == column, "\(errors)")
    #expect(errors.first?.message.contains(message) == true, "\(errors)")
  }

  @Test func sharedMACsFollowTheirStyle() {
    #expect(RethMAC.address(style: .local, clusterID: 1, index: 0) == [2, 0xcc, 0xa9, 0, 1, 0])
    #expect(
      RethMAC.address(style: .local, clusterID: 2, index: 0)
        != RethMAC.address(style: .local, clusterID: 1, index: 0))
    // SRX: cluster 1 reth0 is 00:10:db:ff:10:00; the nibbles of cluster 18 (0x12) swap.
    #expect(
      RethMAC.address(style: .juniper, clusterID: 1, index: 0) == [0, 0x10, 0xdb, 0xff, 0x10, 0])
    #expect(
      RethMAC.address(style: .juniper, clusterID: 18, index: 3) == [0, 0x10, 0xdb, 0xff, 0x21, 3])
    #expect(RethMAC.address(style: .member, clusterID: 1, index: 0) == nil)
  }

  @Test func theDigestSeesRethAddresses() throws {
    let a = try #require(ConfigurationParser.parse(rethConfiguration, file: "a").configuration)
    let b = try #require(
      ConfigurationParser.parse(
        rethConfiguration.split(separator: "192.0.2.1/24").joined(separator: "192.0.2.2/24"),
        file: "b"
      ).configuration)
    #expect(ConfigurationDigest.digest(of: a) != ConfigurationDigest.digest(of: b))
  }
}

/// The data plane as the simulator shows it: a reth is up only on its RG's primary, and while
/// the nodes are in contact never on both.
@Suite struct RethDataPlaneTests {
  private func run(_ steps: String) -> [Simulator.Output] {
    guard
      case .success(let scenario) = ScenarioParser.parse(
        rethConfiguration + "---\n" + steps, file: "t")
    else {
      Issue.record("scenario does not parse")
      return []
    }
    return Simulator.run(scenario)
  }

  private func dataPlane(_ outputs: [Simulator.Output]) -> [(ClusterTime, Int, DataPlaneAction)] {
    outputs.compactMap {
      if case .dataPlane(let time, let node, let action) = $0 { return (time, node, action) }
      return nil
    }
  }

  /// Reth holders after every output, in order: the set of nodes with reth0 up.
  private func overlaps(_ outputs: [Simulator.Output]) -> [ClusterTime] {
    var up: Set<Int> = []
    var found: [ClusterTime] = []
    for (time, node, action) in dataPlane(outputs) {
      switch action {
      case .activate: up.insert(node)
      case .deactivate, .remove, .reset: up.remove(node)
      case .announce: break
      }
      if up.count == 2 { found.append(time) }
    }
    return found
  }

  @Test func startResetsThenThePrimaryActivatesAndAFailoverMovesTheReth() {
    let outputs = run(
      """
      +0s boot node0
      +0s boot node1
      +5s link down node0 eth14
      +3s status

      """)
    let actions = dataPlane(outputs).map { "node\($0.1) \($0.2.kind) \($0.2.plans.map(\.name))" }
    #expect(
      actions == [
        "node0 reset [\"reth0\"]", "node1 reset [\"reth0\"]", "node0 activate [\"reth0\"]",
        "node0 deactivate [\"reth0\"]", "node1 activate [\"reth0\"]",
      ])
    #expect(overlaps(outputs).isEmpty)
    guard case .activate(let plan) = dataPlane(outputs)[2].2 else {
      Issue.record("no activation")
      return
    }
    #expect(plan.mac == [2, 0xcc, 0xa9, 0, 1, 0])
    #expect(plan.gratuitousARPCount == 6)
    #expect(plan.members == ["eth14"])
  }

  /// Both links cut: both nodes take the reth (SRX behaviour without a witness); on heal the
  /// loser gives it up and the winner announces it again, so switches and hosts relearn it.
  @Test func aResolvedSplitBrainLeavesOneOwnerThatAnnouncesAgain() {
    let outputs = run(
      """
      +0s boot node0
      +0s boot node1
      +5s cut control-link
      +0s cut fabric-link
      +5s heal control-link
      +0s heal fabric-link
      +5s status

      """)
    let afterHeal = dataPlane(outputs).filter { $0.0 >= .milliseconds(10_000) }.map {
      "node\($0.1) \($0.2.kind)"
    }
    #expect(afterHeal == ["node1 deactivate", "node0 announce"])
    let whileCut = dataPlane(outputs).filter {
      $0.0 > .milliseconds(5_000) && $0.0 < .milliseconds(10_000)
    }
    #expect(whileCut.map { "node\($0.1) \($0.2.kind)" } == ["node1 activate"])
  }
}

/// The events the data plane's changes make: status changes after each (de)activation, and
/// the watchdog's repairs as the shell reports them.
@Suite struct RethEventTests {
  @Test func everyActivationAndDeactivationIsReportedAfterItsAction() {
    guard
      case .success(let scenario) = ScenarioParser.parse(
        rethConfiguration
          + "---\n+0s boot node0\n+0s boot node1\n+5s link down node0 eth14\n+3s status\n",
        file: "t")
    else {
      Issue.record("scenario does not parse")
      return
    }
    var seen: [String] = []
    for output in Simulator.run(scenario) {
      switch output {
      case .dataPlane(_, let node, let action) where action.kind != "reset":
        seen.append("node\(node) \(action.kind)")
      case .event(_, let node, .rethStatusChanged(let change)):
        #expect(change.reth == "reth0" && change.index == 0 && change.group == 1)
        #expect(change.addresses.map(\.description) == ["192.0.2.1/24", "2001:db8:1::1/64"])
        seen.append("node\(node) reth0 \(change.active ? "up" : "down")")
      default:
        continue
      }
    }
    #expect(
      seen == [
        "node0 activate", "node0 reth0 up", "node0 deactivate", "node0 reth0 down",
        "node1 activate", "node1 reth0 up",
      ])
  }

  @Test func aRepairBecomesAnEventWithTheConfiguredAddresses() throws {
    let configuration = try #require(
      ConfigurationParser.parse(rethConfiguration, file: "r").configuration)
    var machine = ClusterStateMachine(
      configuration: configuration, localNode: 0, bootEpoch: 1, configDigest: 0)
    let actions = machine.rethRestored(
      "reth0", link: true, addresses: [1], restores: 2, now: .milliseconds(3000))
    guard case .emit(.rethRestored(let restore))? = actions.first, actions.count == 1 else {
      Issue.record("\(actions)")
      return
    }
    #expect(restore.reth == "reth0" && restore.group == 1 && restore.restores == 2)
    #expect(restore.linkRestored)
    #expect(restore.addresses.map(\.index) == [2])
    #expect(restore.addresses.map(\.address.description) == ["2001:db8:1::1/64"])
    #expect(restore.what == "link up, 2001:db8:1::1/64")
    #expect(machine.rethRestored("reth9", link: true, addresses: [], restores: 1, now: .zero) == [])
  }

  @Test func theInterfacesJSONKeepsItsTextForms() throws {
    let configuration = try #require(
      ConfigurationParser.parse(rethConfiguration, file: "r").configuration)
    var machine = ClusterStateMachine(
      configuration: configuration, localNode: 0, bootEpoch: 1, configDigest: 0)
    _ = machine.start(now: .zero, interfaces: ["eth14": .up])
    let reth = try #require(machine.snapshot(now: .zero).redundantEthernets.first)
    let json = JSONView.encode(reth)
    #expect(json.contains(#""mac":"02:cc:a9:00:01:00""#), "\(json)")
    #expect(try JSONView.decode(RedundantEthernetStatus.self, from: json) == reth)
    // Addresses travel as the text the views print.
    let text = String(json.filter { $0 != "\\" })
    #expect(text.contains(#""addresses":["192.0.2.1/24","2001:db8:1::1/64"]"#), "\(json)")
  }
}

extension DataPlaneAction {
  fileprivate var plans: [RethPlan] {
    switch self {
    case .reset(let plans): plans
    case .activate(let p), .deactivate(let p), .announce(let p), .remove(let p): [p]
    }
  }
}
