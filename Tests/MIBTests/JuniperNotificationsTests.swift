import ClusterTestSupport
import Testing

@testable import Cluster
@testable import MIB

@Suite("JuniperNotifications: SRX's chassis-cluster traps, from the primary only")
struct JuniperNotificationsTests {
  typealias J = JuniperNotifications
  static let objects: OID = [1, 3, 6, 1, 4, 1, 2636, 3, 39, 1, 14, 1, 1]

  static func text(_ arc: UInt32, _ value: String) -> VarBind {
    VarBind(oid: objects + [arc, 0], value: .displayString(value))
  }

  /// node0 is RG0's primary in status 1 of the busy scenario only before the manual RG0
  /// failover; the reth scenario keeps RG0 on node0 throughout.
  let run = Scenarios.rethFailover

  @Test func aSwitchoverOnTheRG0PrimaryCarriesJunosTexts() throws {
    let snapshot = try #require(run.snapshot(1, node: 0))
    let change = try #require(
      run.events(node: 0).compactMap { entry -> GroupStateChange? in
        guard case .groupStateChanged(let c) = entry.event, c.group == 1, c.from == .primary
        else { return nil }
        return c
      }.first)
    let sent = J.notifications(for: .groupStateChanged(change), in: snapshot)
    #expect(sent.map(\.oid) == [[1, 3, 6, 1, 4, 1, 2636, 3, 39, 1, 14, 1, 0, 1]])
    #expect(sent.first?.name == "jnxJsChassisClusterSwitchover")
    #expect(
      sent.first?.varbinds == [
        Self.text(1, "1"), Self.text(2, "7"), Self.text(3, "0"), Self.text(4, "primary"),
        Self.text(5, "secondary-hold"), Self.text(6, change.reason),
      ])
  }

  @Test func nothingFromTheSecondaryNorOutOfHold() throws {
    // node1 is RG0's secondary: none of its events is sent in Juniper format.
    let secondary = try #require(run.snapshot(1, node: 1))
    #expect(secondary.status.redundancyGroups[0].nodes[1].status == .secondary)
    for (_, event) in run.events(node: 1) {
      #expect(J.notifications(for: event, in: secondary).isEmpty, "\(event.name)")
    }
    let primary = try #require(run.snapshot(1, node: 0))
    let election = GroupStateChange(
      group: 0, from: .hold, to: .primary, reason: "hold timer expired", failoverCount: 0,
      localPriority: 200, peerPriority: 100)
    #expect(J.notifications(for: .groupStateChanged(election), in: primary).isEmpty)
  }

  @Test func linksAndWeights() throws {
    let snapshot = try #require(run.snapshot(1, node: 0))
    let down = J.notifications(
      for: .controlLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: 1500),
      in: snapshot)
    #expect(down.map(\.name) == ["jnxJsChClusterIntfTrap"])
    #expect(
      down.first?.varbinds == [
        Self.text(2, "7"), Self.text(7, "control link"), Self.text(8, "down"),
        Self.text(9, "major"), Self.text(10, "3 heartbeats missed"),
      ])
    let up = J.notifications(for: .fabricLinkUp, in: snapshot)
    #expect(
      up.first?.varbinds.map(\.value)[1...3] == [
        .displayString("fabric link"), .displayString("up"), .displayString("info"),
      ])
    let weight = J.notifications(
      for: .interfaceMonitorChanged(
        InterfaceMonitorChange(
          group: 1, index: 1, interface: "eth1", state: .down, monitorWeight: 100,
          groupWeight: 155)),
      in: snapshot)
    #expect(weight.first?.oid == J.root + [0, 4])
    #expect(
      weight.first?.varbinds == [
        Self.text(15, "7"), Self.text(16, "1"), Self.text(17, "0"), Self.text(18, "healthy"),
        Self.text(19, "155"),
      ])
    let spent = J.notifications(
      for: .ipMonitorChanged(
        IPMonitorChange(
          group: 2, index: 1, address: "192.0.2.1", reachable: false, monitorWeight: 100,
          groupWeight: 0, remainingThreshold: 0)),
      in: snapshot)
    #expect(spent.first?.varbinds[3] == Self.text(18, "unhealthy"))
    #expect(J.notifications(for: .peerLost(lastMessageAgeMilliseconds: 100), in: snapshot).isEmpty)
  }
}
