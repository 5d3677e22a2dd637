import Cluster
import ClusterTestSupport
import Testing

@testable import MIB

/// The LAN heartbeat scalars of ccCluster and the ccWitness group (DESIGN §12), from the
/// snapshots of a scenario that cuts the LAN path, then every path and one node's witness.
@Suite("MIBView: the LAN heartbeat path and the witness")
struct MIBViewWitnessTests {
  typealias D = MIBDefinition
  let run = Scenarios.splitBrainPrevention

  /// Every LAN and witness scalar equals what the snapshot says, at each status of the run.
  @Test func scalarsEqualTheSnapshot() throws {
    for index in 0...4 {
      for node in 0...1 {
        let snapshot = try #require(run.snapshot(index, node: node))
        let view = ScenarioRun.view(snapshot, run.configuration)
        let s = snapshot.statistics
        let link = try #require(snapshot.status.lanLink)
        let w = try #require(snapshot.witness)
        let expected: [(MIBObject, SNMPValue)] = [
          (D.ccLanLinkStatus, .integer(link == .up ? 1 : 2)),
          (D.ccLanHeartbeatsSent, .counter64(try #require(s.lanHeartbeatsSent))),
          (D.ccLanHeartbeatsReceived, .counter64(try #require(s.lanHeartbeatsReceived))),
          (D.ccLanHeartbeatErrors, .counter64(try #require(s.lanHeartbeatErrors))),
          (D.ccWitnessConfigured, .integer(1)),
          (D.ccWitnessAddress, .displayString("198.51.100.9")),
          (D.ccWitnessPort, .unsigned(7402)),
          (D.ccWitnessGrantHolder, .integer(Int32(w.grantHolder ?? -1))),
          (D.ccWitnessGrantConfirmed, .truthValue(w.grantConfirmed)),
          (D.ccWitnessHoldsGrant, .truthValue(w.holdsGrant)),
          (D.ccWitnessClaiming, .truthValue(w.claiming)),
          (
            D.ccWitnessLastContact,
            .timeTicks(UInt32((w.lastContactMilliseconds ?? 0) / 10))
          ),
          (D.ccWitnessRequestsSent, .counter64(w.requestsSent)),
          (D.ccWitnessRepliesReceived, .counter64(w.repliesReceived)),
          (D.ccWitnessRepliesRejected, .counter64(w.replyErrors)),
        ]
        for (object, value) in expected {
          #expect(view.get(object.oid + [0]) == value, "status \(index) node\(node) \(object.name)")
        }
      }
    }
  }

  @Test func theStoryOfTheRun() throws {
    func value(_ index: Int, _ node: Int, _ object: MIBObject) throws -> SNMPValue? {
      try #require(run.view(index, node: node)).get(object.oid + [0])
    }
    // Settled: the LAN path is up, both nodes reach the witness, nobody needs the grant.
    for node in 0...1 {
      #expect(try value(0, node, D.ccLanLinkStatus) == .integer(1))
      #expect(try value(0, node, D.ccWitnessStatus) == .integer(1))
      #expect(try value(0, node, D.ccWitnessGrantHolder) == .integer(-1))
      #expect(try value(0, node, D.ccWitnessClaiming) == .integer(2))
      guard case .counter64(let received)? = try value(0, node, D.ccLanHeartbeatsReceived),
        case .counter64(let requests)? = try value(0, node, D.ccWitnessRequestsSent),
        case .timeTicks(let contact)? = try value(0, node, D.ccWitnessLastContact)
      else {
        Issue.record("node\(node): LAN or witness counters missing")
        continue
      }
      #expect(received > 0 && requests > 0 && contact > 0, "node\(node)")
    }
    // The LAN path cut: down on both nodes, nothing else changes; then up again.
    for node in 0...1 {
      #expect(try value(1, node, D.ccLanLinkStatus) == .integer(2))
      #expect(try value(1, node, D.ccWitnessStatus) == .integer(1))
      #expect(try value(2, node, D.ccLanLinkStatus) == .integer(1))
    }
    // Every path cut and node1 off the witness: node0 claims and holds the grant; node1 sees
    // the witness unreachable and its last contact stays where it was.
    #expect(try value(3, 0, D.ccWitnessStatus) == .integer(1))
    #expect(try value(3, 0, D.ccWitnessClaiming) == .integer(1))
    #expect(try value(3, 0, D.ccWitnessGrantHolder) == .integer(0))
    #expect(try value(3, 0, D.ccWitnessGrantConfirmed) == .integer(1))
    #expect(try value(3, 0, D.ccWitnessHoldsGrant) == .integer(1))
    #expect(try value(3, 1, D.ccWitnessStatus) == .integer(2))
    #expect(try value(3, 1, D.ccWitnessHoldsGrant) == .integer(2))
    guard case .timeTicks(let lost)? = try value(3, 1, D.ccWitnessLastContact),
      case .timeTicks(let cut)? = try value(2, 1, D.ccWitnessLastContact),
      case .timeTicks(let live)? = try value(3, 0, D.ccWitnessLastContact)
    else {
      Issue.record("no ccWitnessLastContact")
      return
    }
    #expect(lost >= cut && lost < live)
    // Healed: the LAN path and the witness are back for both.
    for node in 0...1 {
      #expect(try value(4, node, D.ccLanLinkStatus) == .integer(1))
      #expect(try value(4, node, D.ccWitnessStatus) == .integer(1))
    }
  }

  /// Without lan-address and witness every scalar is still served, saying so: pollers get
  /// notConfigured and zeros instead of noSuchObject.
  @Test func notConfiguredIsAValueNotAHole() throws {
    let view = try #require(Scenarios.busy.view(1, node: 0))
    let expected: [(MIBObject, SNMPValue)] = [
      (D.ccLanLinkStatus, .integer(4)),
      (D.ccLanHeartbeatsSent, .counter64(0)),
      (D.ccLanHeartbeatsReceived, .counter64(0)),
      (D.ccLanHeartbeatErrors, .counter64(0)),
      (D.ccWitnessConfigured, .integer(2)),
      (D.ccWitnessStatus, .integer(4)),
      (D.ccWitnessAddress, .displayString("")),
      (D.ccWitnessPort, .unsigned(0)),
      (D.ccWitnessGrantHolder, .integer(-1)),
      (D.ccWitnessGrantConfirmed, .integer(2)),
      (D.ccWitnessHoldsGrant, .integer(2)),
      (D.ccWitnessClaiming, .integer(2)),
      (D.ccWitnessLastContact, .timeTicks(0)),
      (D.ccWitnessRequestsSent, .counter64(0)),
      (D.ccWitnessRepliesReceived, .counter64(0)),
      (D.ccWitnessRepliesRejected, .counter64(0)),
    ]
    for (object, value) in expected {
      #expect(view.get(object.oid + [0]) == value, "\(object.name)")
    }
  }
}
