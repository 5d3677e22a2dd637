import Cluster
import ClusterTestSupport
import Journal
import Logging
import Synchronization
import Testing

@testable import Agent

@Suite struct EventDispatcherTests {
  /// Regression: the trap sink, kept as a bare closure in a Mutex, grew one reabstraction
  /// thunk per event and overflowed the stack after enough events (a core dump showed it).
  /// A dispatcher logging to `handler`, and the snapshot of a freshly started node.
  private func makeDispatcher(
    logging handler: some LogHandler = SwiftLogNoOpLogHandler(),
    traps: any TrapSink = CountingTrapSink()
  ) throws -> (EventDispatcher, ClusterSnapshot) {
    let dispatcher = try EventDispatcher(
      logger: Logger(label: "test") { _ in handler },
      context: EventContext(
        clusterID: 1, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0),
      traps: traps)
    var machine = ClusterStateMachine(
      configuration: ClusterConfiguration(clusterID: 1), localNode: 0, bootEpoch: 1,
      configDigest: 0)
    _ = machine.start(now: .zero)
    return (dispatcher, machine.snapshot(now: .zero))
  }

  @Test func manyEventsReachTheTrapSinkWithoutGrowingTheCallChain() throws {
    let sink = CountingTrapSink()
    let (dispatcher, snapshot) = try makeDispatcher(traps: sink)
    for _ in 0..<300_000 {
      dispatcher.dispatch(.controlLinkUp, snapshot: snapshot)
    }
    #expect(sink.count.withLock { $0 } == 300_000)
  }

  /// Duplicated or replayed datagrams each carry their own sequence number; they still share
  /// one rate limit (5 records per 10 s window), or a duplicating link floods the journal.
  @Test func rejectionsWithDistinctSequenceNumbersShareOneLimit() throws {
    let records = CapturedRecords()
    let (dispatcher, snapshot) = try makeDispatcher(logging: CapturingHandler(store: records))
    for sequence in 0..<100 {
      dispatcher.dispatch(
        .datagramRejected(
          link: .control, source: "10.0.0.2", reason: "replayed sequence \(sequence)"),
        snapshot: snapshot)
    }
    dispatcher.dispatch(
      .datagramRejected(
        link: .control, source: "10.0.0.2", reason: "message claims to come from node0"),
      snapshot: snapshot)
    dispatcher.stop()  // the writer thread has written everything queued
    let logged = records.events.map { "\($0.message)" }
    #expect(logged.filter { $0.contains("replayed sequence") }.count == 5)
    #expect(logged.filter { $0.contains("claims to come from") }.count == 1, "\(logged)")
  }
}

@Suite struct EventDispatcherFlushTests {
  /// Issue 13 item 15: the summary of a burst that stopped is logged when its window closes,
  /// without waiting for the next rejection.
  @Test func flushLogsTheSummaryOfABurstThatStopped() throws {
    let records = CapturedRecords()
    let dispatcher = try EventDispatcher(
      logger: Logger(label: "test") { _ in CapturingHandler(store: records) },
      context: EventContext(
        clusterID: 1, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0),
      traps: CountingTrapSink())
    let start = ContinuousClock.now
    for _ in 0..<8 {
      dispatcher.record(.datagramRejected(link: .control, source: "10.0.0.2", reason: "bad MAC"))
    }
    #expect(dispatcher.nextSuppressedRecordsFlush.map { $0 >= start + .seconds(10) } == true)
    dispatcher.flushSuppressedRecords(now: start)  // the window is still open: nothing
    dispatcher.flushSuppressedRecords(now: ContinuousClock.now + .seconds(10))
    dispatcher.stop()  // the writer thread has written everything queued
    #expect(records.events.count == 6)
    let summary = records.events.last
    #expect(summary?.metadata?["MESSAGE_ID"] == .string(EventKind.messagesSuppressed.messageID))
    #expect(summary?.metadata?["SUPPRESSED_COUNT"] == "3")
    #expect(dispatcher.nextSuppressedRecordsFlush == nil)
  }
}

/// Counts what the dispatcher hands to SNMP.
private final class CountingTrapSink: TrapSink {
  let count = Mutex(0)
  func notify(_ event: ClusterEvent, snapshot: ClusterSnapshot) { count.withLock { $0 += 1 } }
}
