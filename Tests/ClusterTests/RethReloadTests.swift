import ClusterTestSupport
import Testing

@testable import Cluster

private let reth0 = """
  set chassis cluster reth-count 2
  set interfaces reth0 redundant-ether-options redundancy-group 1
  set interfaces eth14 gigether-options redundant-parent reth0
  set interfaces reth0 unit 0 family inet address 192.0.2.1/24

  """
private let reth1 = """
  set interfaces reth1 redundant-ether-options redundancy-group 1
  set interfaces eth15 gigether-options redundant-parent reth1
  set interfaces reth1 unit 0 family inet address 198.51.100.1/24

  """

/// SIGHUP adds, removes and changes reths on a running pair: the data plane follows, no role
/// moves, and a reth the reload did not touch is left alone.
@Suite struct RethReloadTests {
  /// A running pair (node0 RG1 primary) with reth0 up on node0, its data-plane log cleared.
  private func runningPair() -> MachinePair {
    var pair = MachinePair(configuration: pairConfiguration(reth0))
    pair.start()
    pair.run(for: .seconds(5))
    #expect(pair.state(0, group: 1) == .primary && pair.state(1, group: 1) == .secondary)
    #expect(pair.dataPlane[0].map(\.kind) == ["reset", "activate"])
    pair.dataPlane = [[], []]
    return pair
  }

  private func summary(_ actions: [DataPlaneAction]) -> [String] {
    actions.map { action in
      switch action {
      case .reset(let plans): "reset \(plans.map(\.name).joined(separator: ","))"
      case .activate(let p), .deactivate(let p), .announce(let p), .remove(let p):
        "\(action.kind) \(p.name) \(p.addresses.map(\.description).joined(separator: ","))"
      }
    }
  }

  private func reloadBoth(_ pair: inout MachinePair, _ text: String) {
    pair.reload(0, text)
    pair.reload(1, text)
    pair.run(for: .seconds(2))
  }

  @Test func anAddedRethComesUpOnThePrimaryOnlyAndARemovedOneGoes() {
    var pair = runningPair()
    reloadBoth(&pair, pairConfiguration(reth0 + reth1))
    #expect(summary(pair.dataPlane[0]) == ["reset reth1", "activate reth1 198.51.100.1/24"])
    #expect(summary(pair.dataPlane[1]) == ["reset reth1"])
    #expect(pair.state(0, group: 1) == .primary && pair.state(1, group: 1) == .secondary)

    pair.dataPlane = [[], []]
    reloadBoth(&pair, pairConfiguration(reth0))
    #expect(
      summary(pair.dataPlane[0]) == [
        "deactivate reth1 198.51.100.1/24",
        "remove reth1 "
          + "198.51.100.1/24",
      ])
    #expect(summary(pair.dataPlane[1]) == ["remove reth1 198.51.100.1/24"])
    #expect(pair.state(0, group: 1) == .primary && pair.state(1, group: 1) == .secondary)
    #expect(pair.transitions(0).allSatisfy { $0.group != 1 || $0.to != .secondary })
  }

  /// A changed address list: the old reth goes down before the new one is set up, and only
  /// the primary brings it back up; the secondary sets it up afresh, down.
  @Test func aChangedRethIsSetUpAgainInPlaceOfTheOld() {
    var pair = runningPair()
    let changed = reth0.replacing("192.0.2.1/24", with: "192.0.2.9/24")
    reloadBoth(&pair, pairConfiguration(changed))
    #expect(
      summary(pair.dataPlane[0]) == [
        "deactivate reth0 192.0.2.1/24", "reset reth0", "activate reth0 192.0.2.9/24",
      ])
    #expect(summary(pair.dataPlane[1]) == ["reset reth0"])
    guard case .reset(let plans)? = pair.dataPlane[1].first else { return }
    #expect(plans.flatMap(\.addresses).map(\.description) == ["192.0.2.9/24"])

    // Reloading the same file again changes nothing.
    pair.dataPlane = [[], []]
    reloadBoth(&pair, pairConfiguration(changed))
    #expect(pair.dataPlane == [[], []])
  }

  @Test func theReloadRecordNamesEachRethChange() throws {
    func parsed(_ text: String) throws -> ClusterConfiguration {
      try #require(ConfigurationParser.parse(pairConfiguration(text), file: "r").configuration)
    }
    let running = try parsed(reth0)
    let added = ReloadDifferences(
      running: running, reloaded: try parsed(reth0 + reth1), keyChanged: false, localNode: 0)
    #expect(added.needRestart.isEmpty && added.warnings.isEmpty)
    #expect(added.reths.count == 1)
    #expect(added.reths.first?.hasPrefix("reth1 added (RG1, eth15)") == true)
    let removed = ReloadDifferences(
      running: try parsed(reth0 + reth1), reloaded: running, keyChanged: false, localNode: 1)
    #expect(removed.reths.count == 1)
    #expect(removed.reths.first?.hasPrefix("reth1 removed") == true)
    let moved = ReloadDifferences(
      running: running,
      reloaded: try parsed(
        reth0.replacing("eth14", with: "eth16")
          + "set chassis cluster redundancy-group 1 gratuitous-arp-count 8\n"),
      keyChanged: false, localNode: 0)
    #expect(moved.reths.first?.hasPrefix("reth0 changed (members, gratuitous-arp-count)") == true)
    // Without the local node (as before) reths are not compared; the same file says nothing.
    #expect(
      ReloadDifferences(running: running, reloaded: try parsed(reth0 + reth1), keyChanged: false)
        .isEmpty)
    #expect(
      ReloadDifferences(running: running, reloaded: running, keyChanged: false, localNode: 0)
        .isEmpty)
  }

  /// The LAN heartbeat's sockets are opened at start: a changed lan-address is named.
  @Test func aChangedLANAddressNeedsARestart() throws {
    let lan = """
      set chassis cluster node 0 lan-address 192.0.2.10
      set chassis cluster node 1 lan-address 192.0.2.11

      """
    let running = try #require(
      ConfigurationParser.parse(pairConfiguration(reth0 + lan), file: "r").configuration)
    let reloaded = try #require(
      ConfigurationParser.parse(
        pairConfiguration(reth0 + lan.replacing(".11", with: ".12")), file: "r"
      ).configuration)
    let differences = ReloadDifferences(running: running, reloaded: reloaded, keyChanged: false)
    #expect(differences.needRestart == ["node 1 lan-address"])
    #expect(
      ReloadDifferences.applicable(running: running, reloaded: reloaded).nodes == running.nodes)
  }
}
