import Cluster
import ClusterTestSupport
import Testing

@testable import MIB

/// The ccSessionSync group (DESIGN §11): conntrackd's health and counters as the core keeps
/// them in the snapshot, cold sync and the last commit.
@Suite("MIBView: session sync")
struct MIBViewSessionSyncTests {
  typealias D = MIBDefinition

  static let configuration =
    Scenarios.configuration + Scenarios.reths + """
      set chassis cluster session-sync conntrackd config /etc/conntrackd/conntrackd.conf
      set chassis cluster session-sync cold-sync-timeout 5

      """

  /// node1 joins while node0 is primary of RG1, with the fabric link (conntrackd's path) cut:
  /// cold sync (CS) until cold-sync-timeout, as no bulk sync can arrive.
  static let run = ScenarioRun(
    configuration + """
      ---
      +0s boot node0
      +5s cut fabric-link
      +0s boot node1
      +2s status
      +0s heal fabric-link
      +10s status
      """)

  static func values(_ view: MIBView) -> [String: SNMPValue] {
    var found: [String: SNMPValue] = [:]
    for object in D.sessionSyncObjects {
      found[object.name] = view.get(object.oid + [0])
    }
    return found
  }

  @Test func theCoreSnapshotBeforeAnyPoll() throws {
    let snapshot = try #require(Self.run.snapshot(0, node: 1))
    let sync = try #require(snapshot.statistics.sessionSync)
    #expect(sync.coldSync && sync.health == .unknown && sync.counters == nil)
    let view = ScenarioRun.view(snapshot, Self.run.configuration)
    let v = Self.values(view)
    #expect(v["ccSessionSyncConfigured"] == .integer(1))
    #expect(v["ccSessionSyncStatus"] == .integer(5))  // unknown: no poll yet
    #expect(v["ccSessionSyncStatusDetail"] == .displayString(""))
    #expect(v["ccSessionSyncColdSync"] == .integer(1))
    #expect(v["ccSessionSyncLocalSessions"] == .unsigned(0))
    #expect(v["ccSessionSyncMessagesReceived"] == .counter64(0))
    #expect(v["ccSessionSyncCommits"] == .counter32(0))
    #expect(v["ccSessionSyncLastCommitTimedOut"] == .integer(2))
    // cold-sync-timeout: CS is over.
    let later = try #require(Self.run.view(1, node: 1))
    #expect(later.get(D.ccSessionSyncColdSync.oid + [0]) == .integer(2))
  }

  /// Counters, health and the last commit come from the snapshot's statistics, one for one.
  @Test func everyScalarFollowsTheStatistics() throws {
    var snapshot = try #require(Self.run.snapshot(1, node: 0))
    var counters = ConntrackdStatistics()
    counters.internalCache.active = 52
    counters.externalCache.active = 7
    counters.packetsSent = 1_000_000_000_000
    counters.packetsReceived = 900
    counters.lostMessages = 3
    counters.malformedMessages = 1
    var sync = try #require(snapshot.statistics.sessionSync)
    sync.health = .stalled
    sync.healthDetail = "no message from node1's conntrackd for 3 s"
    sync.counters = counters
    sync.lastCommit = SessionCommit(
      groups: [1], sessions: 50, milliseconds: 2_001, timedOut: true, error: "no answer")
    sync.commits = 4
    sync.commitTimeouts = 1
    snapshot.statistics.sessionSync = sync
    let v = Self.values(ScenarioRun.view(snapshot, Self.run.configuration))
    let expected: [String: SNMPValue] = [
      "ccSessionSyncConfigured": .integer(1),
      "ccSessionSyncStatus": .integer(3),
      "ccSessionSyncStatusDetail": .displayString("no message from node1's conntrackd for 3 s"),
      "ccSessionSyncColdSync": .integer(sync.coldSync ? 1 : 2),
      "ccSessionSyncLocalSessions": .unsigned(52),
      "ccSessionSyncExternalSessions": .unsigned(7),
      "ccSessionSyncMessagesSent": .counter64(1_000_000_000_000),
      "ccSessionSyncMessagesReceived": .counter64(900),
      "ccSessionSyncMessagesLost": .counter64(3),
      "ccSessionSyncMessagesMalformed": .counter64(1),
      "ccSessionSyncCommits": .counter32(4),
      "ccSessionSyncCommitTimeouts": .counter32(1),
      "ccSessionSyncLastCommitSessions": .unsigned(50),
      "ccSessionSyncLastCommitDuration": .unsigned(2_001),
      "ccSessionSyncLastCommitTimedOut": .integer(1),
    ]
    #expect(v == expected)
  }

  @Test func everyHealthHasItsNumber() throws {
    var snapshot = try #require(Self.run.snapshot(1, node: 0))
    let numbers: [(SessionSyncHealth, Int32)] = [
      (.healthy, 1), (.unreachable, 2), (.stalled, 3), (.losing, 4), (.unknown, 5),
    ]
    for (health, number) in numbers {
      snapshot.statistics.sessionSync?.health = health
      let view = ScenarioRun.view(snapshot, Self.run.configuration)
      #expect(view.get(D.ccSessionSyncStatus.oid + [0]) == .integer(number), "\(health)")
    }
  }

  /// Sizes beyond 32 bits stick at the Gauge32 maximum; counts beyond it wrap as Counter32s.
  @Test func largeValuesClampOrWrap() throws {
    var snapshot = try #require(Self.run.snapshot(1, node: 0))
    var counters = ConntrackdStatistics()
    counters.externalCache.active = 1 << 40
    snapshot.statistics.sessionSync?.counters = counters
    snapshot.statistics.sessionSync?.commits = (1 << 32) + 5
    let view = ScenarioRun.view(snapshot, Self.run.configuration)
    #expect(view.get(D.ccSessionSyncExternalSessions.oid + [0]) == .unsigned(.max))
    #expect(view.get(D.ccSessionSyncCommits.oid + [0]) == .counter32(5))
  }

  @Test func withoutSessionSyncTheGroupSaysNotConfigured() throws {
    let view = try #require(Scenarios.rethFailover.view(1, node: 0))
    let v = Self.values(view)
    #expect(v.count == D.sessionSyncObjects.count)
    #expect(v["ccSessionSyncConfigured"] == .integer(2))
    #expect(v["ccSessionSyncStatus"] == .integer(6))
    #expect(v["ccSessionSyncStatusDetail"] == .displayString(""))
    for (name, value) in v where !["ccSessionSyncConfigured", "ccSessionSyncStatus"].contains(name)
    {
      #expect(
        [.integer(2), .unsigned(0), .counter32(0), .counter64(0), .displayString("")].contains(
          value), "\(name): \(value)")
    }
  }
}
