import ClusterTestSupport
import Testing

@testable import Cluster
@testable import MIB

/// ccLanLinkDown/Up and the witness notifications, from a scenario that cuts the LAN path,
/// then every path and node1's witness.
@Suite("NotificationBuilder: LAN heartbeat path and witness")
struct NotificationWitnessTests {
  typealias D = MIBDefinition
  let run = Scenarios.splitBrainPrevention

  func sent(node: Int, view index: Int) throws -> [SNMPNotification] {
    let view = try #require(run.view(index, node: node))
    return run.events(node: node).flatMap {
      NotificationBuilder.notifications(for: $0.event, in: view)
    }
  }

  @Test func theLanPathIsTrappedDownAndUp() throws {
    for node in 0...1 {
      let sent = try sent(node: node, view: 2).filter { $0.name.hasPrefix("ccLanLink") }
      #expect(sent.map(\.name).prefix(2) == ["ccLanLinkDown", "ccLanLinkUp"], "node\(node)")
      let local = VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(Int32(node)))
      let status = D.ccLanLinkStatus.oid + [0]
      #expect(sent.first?.varbinds.prefix(2) == [local, VarBind(oid: status, value: .integer(2))])
      #expect(sent.dropFirst().first?.varbinds[1] == VarBind(oid: status, value: .integer(1)))
      #expect(sent.first?.varbinds[2].oid == D.ccLanHeartbeatsReceived.oid + [0])
      #expect(
        sent.map(\.oid).prefix(2) == [D.notificationsRoot + [18], D.notificationsRoot + [19]])
    }
  }

  @Test func witnessFoundLostAndTheGrant() throws {
    let node1 = try sent(node: 1, view: 3).filter { $0.name.hasPrefix("ccWitness") }
    // Found at start, lost when cut off.
    #expect(node1.map(\.name).prefix(2) == ["ccWitnessFound", "ccWitnessLost"])
    let lost = try #require(node1.first { $0.definition == D.ccWitnessLost })
    let view = try #require(run.view(3, node: 1))
    #expect(
      lost.varbinds == [
        VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1)),
        VarBind(oid: D.ccWitnessStatus.oid + [0], value: .integer(2)),
        VarBind(
          oid: D.ccWitnessLastContact.oid + [0],
          value: try #require(view.get(D.ccWitnessLastContact.oid + [0]))),
      ])
    // node0 claimed and was granted: a grant change naming node0, confirmed.
    let node0 = try sent(node: 0, view: 3)
    let grants = node0.filter { $0.definition == D.ccWitnessGrantChange }
    #expect(
      grants.contains {
        $0.varbinds == [
          VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(0)),
          VarBind(oid: D.ccWitnessGrantHolder.oid + [0], value: .integer(0)),
          VarBind(oid: D.ccWitnessGrantConfirmed.oid + [0], value: .integer(1)),
        ]
      }, "\(grants)")
    let found = try #require(node0.first { $0.definition == D.ccWitnessFound })
    #expect(found.varbinds[1] == VarBind(oid: D.ccWitnessStatus.oid + [0], value: .integer(1)))
    #expect(found.oid == D.notificationsRoot + [24])
    for notification in node0 { NotificationTests.checkShape(notification, local: 0) }
    for notification in node1 { NotificationTests.checkShape(notification, local: 1) }
  }

  @Test func aGrantToNobodySaysMinusOneAndRejectionsSendNothing() throws {
    let view = try #require(run.view(0, node: 0))
    let nobody = NotificationBuilder.notifications(
      for: .witness(.grantChanged(holder: nil, confirmed: false)), in: view)
    #expect(
      nobody.first?.varbinds.dropFirst() == [
        VarBind(oid: D.ccWitnessGrantHolder.oid + [0], value: .integer(-1)),
        VarBind(oid: D.ccWitnessGrantConfirmed.oid + [0], value: .integer(2)),
      ])
    #expect(
      NotificationBuilder.notifications(for: .witness(.rejected(reason: "bad MAC")), in: view)
        .isEmpty)
  }
}
