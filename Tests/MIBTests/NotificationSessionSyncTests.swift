import ClusterTestSupport
import Testing

@testable import Cluster
@testable import MIB

/// ccSessionSyncDown/Up and ccSessionCommitTimedOut, from the events a real state machine emits
/// for conntrackd's reports and the shell's commits.
@Suite("NotificationBuilder: session sync")
struct NotificationSessionSyncTests {
  typealias D = MIBDefinition

  static let configuration = ScenarioRun(MIBViewSessionSyncTests.configuration + "---\n")
    .configuration

  /// conntrackd unreachable, then answering (healthy), then losing messages; a commit that
  /// timed out and one that did not: the events and the snapshot after them.
  static func story(node: Int) -> (events: [ClusterEvent], snapshot: ClusterSnapshot) {
    var machine = ClusterStateMachine(
      configuration: configuration, localNode: node, bootEpoch: 1, configDigest: 0)
    var first = ConntrackdStatistics()
    first.packetsReceived = 10
    var losing = first
    losing.lostMessages = 4
    let batches = [
      machine.sessionSyncReported(
        .unreachable("connect /var/run/conntrackd.ctl: no such file"), now: .milliseconds(1_000)),
      machine.sessionSyncReported(.sample(first), now: .milliseconds(2_000)),
      machine.sessionSyncReported(.sample(losing), now: .milliseconds(3_000)),
      machine.sessionCommitted(
        SessionCommit(
          groups: [1], sessions: 40, milliseconds: 2_000, timedOut: true, error: "no answer"),
        now: .milliseconds(4_000)),
      machine.sessionCommitted(
        SessionCommit(groups: [1], sessions: 41, milliseconds: 12, timedOut: false),
        now: .milliseconds(5_000)),
    ]
    let events = batches.flatMap { $0 }.compactMap { action -> ClusterEvent? in
      guard case .emit(let event) = action else { return nil }
      return event
    }
    return (events, machine.snapshot(now: .milliseconds(6_000)))
  }

  static func events(node: Int) -> [ClusterEvent] { story(node: node).events }

  @Test func healthChangesAndATimedOutCommitAreTrapped() throws {
    let (events, snapshot) = Self.story(node: 1)
    let view = ScenarioRun.view(snapshot, Self.configuration)
    let sent = events.flatMap { NotificationBuilder.notifications(for: $0, in: view) }
    #expect(
      sent.map(\.name) == [
        "ccSessionSyncDown", "ccSessionSyncUp", "ccSessionSyncDown", "ccSessionCommitTimedOut",
      ])
    let local = VarBind(oid: D.ccLocalNodeId.oid + [0], value: .integer(1))
    let lost = VarBind(oid: D.ccSessionSyncMessagesLost.oid + [0], value: .counter64(4))
    func status(_ number: Int32) -> VarBind {
      VarBind(oid: D.ccSessionSyncStatus.oid + [0], value: .integer(number))
    }
    func detail(_ text: String) -> VarBind {
      VarBind(oid: D.ccSessionSyncStatusDetail.oid + [0], value: .displayString(text))
    }
    #expect(
      sent[0].varbinds == [
        local, status(2), detail("connect /var/run/conntrackd.ctl: no such file"), lost,
      ])
    #expect(sent[1].varbinds.prefix(2) == [local, status(1)])
    #expect(sent[2].varbinds.prefix(2) == [local, status(4)])
    #expect(sent[2].varbinds[2] == detail("4 sync messages lost since the previous poll"))
    #expect(
      sent[3].varbinds == [
        local,
        VarBind(oid: D.ccSessionSyncLastCommitSessions.oid + [0], value: .unsigned(40)),
        VarBind(oid: D.ccSessionSyncLastCommitDuration.oid + [0], value: .unsigned(2_000)),
        VarBind(oid: D.ccSessionSyncCommitTimeouts.oid + [0], value: .counter32(1)),
      ])
    #expect(sent[3].oid == D.notificationsRoot + [22])
    #expect(sent.map(\.oid.components.last) == [20, 21, 20, 22])
    for notification in sent {
      NotificationTests.checkShape(notification, local: 1)
    }
  }

  /// The view is the snapshot after the whole batch; the status varbind is the one the event
  /// reached, not a later poll's.
  @Test func theStatusIsTheEventsNotTheViews() throws {
    let (events, snapshot) = Self.story(node: 0)
    let view = ScenarioRun.view(snapshot, Self.configuration)
    #expect(view.get(D.ccSessionSyncStatus.oid + [0]) == .integer(4))  // losing, at the end
    let down = try #require(
      events.first {
        if case .sessionSync(.healthChanged(_, .unreachable, _)) = $0 { true } else { false }
      })
    let sent = NotificationBuilder.notifications(for: down, in: view)
    #expect(sent.first?.varbinds[1].value == .integer(2))
  }

  @Test func coldSyncAndSuccessfulCommitsSendNothing() throws {
    let view = try #require(Scenarios.busy.view(1, node: 0))
    let quiet: [SessionSyncEvent] = [
      .coldSyncStarted, .coldSyncCompleted(milliseconds: 10, sessions: 5),
      .coldSyncTimedOut(seconds: 60), .coldSyncAbandoned(reason: "peer lost"),
      .committed(SessionCommit(groups: [1], sessions: 3, milliseconds: 4, timedOut: false)),
    ]
    for event in quiet {
      #expect(NotificationBuilder.notifications(for: .sessionSync(event), in: view).isEmpty)
    }
  }
}
