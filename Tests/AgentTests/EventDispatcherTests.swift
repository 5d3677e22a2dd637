import Cluster
import Logging
import Synchronization
import Testing

@testable import Agent

@Suite struct EventDispatcherTests {
  /// Regression: the trap sink, kept as a bare closure in a Mutex, grew one reabstraction
  /// thunk per event and overflowed the stack after enough events (a core dump showed it).
  @Test func manyEventsReachTheTrapSinkWithoutGrowingTheCallChain() {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let dispatcher = EventDispatcher(
      logger: logger,
      context: EventContext(
        clusterID: 1, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0))
    let count = Mutex(0)
    dispatcher.onTrap { _, _ in count.withLock { $0 += 1 } }
    var machine = ClusterStateMachine(
      configuration: ClusterConfiguration(clusterID: 1), localNode: 0, bootEpoch: 1,
      configDigest: 0)
    _ = machine.start(now: .zero)
    let snapshot = machine.snapshot(now: .zero)
    for _ in 0..<300_000 {
      dispatcher.dispatch(.controlLinkUp, snapshot: snapshot)
    }
    #expect(count.withLock { $0 } == 300_000)
  }

  /// Duplicated or replayed datagrams each carry their own sequence number; they still share
  /// one rate limit (5 records per 10 s window), or a duplicating link floods the journal.
  @Test func rejectionsWithDistinctSequenceNumbersShareOneLimit() {
    let records = Recorder()
    let logger = Logger(label: "test") { _ in RecordingLogHandler(records: records) }
    let dispatcher = EventDispatcher(
      logger: logger,
      context: EventContext(
        clusterID: 1, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0))
    var machine = ClusterStateMachine(
      configuration: ClusterConfiguration(clusterID: 1), localNode: 0, bootEpoch: 1,
      configDigest: 0)
    _ = machine.start(now: .zero)
    let snapshot = machine.snapshot(now: .zero)
    for sequence in 0..<100 {
      dispatcher.dispatch(
        .datagramRejected(link: .control, reason: "replayed sequence \(sequence)"),
        snapshot: snapshot)
    }
    dispatcher.dispatch(
      .datagramRejected(link: .control, reason: "message claims to come from node0"),
      snapshot: snapshot)
    let logged = records.lines.withLock { $0 }
    #expect(logged.filter { $0.contains("replayed sequence") }.count == 5)
    #expect(logged.filter { $0.contains("claims to come from") }.count == 1)
  }
}

private final class Recorder: Sendable {
  let lines = Mutex<[String]>([])
}

/// Keeps the message of every record logged through it.
private struct RecordingLogHandler: LogHandler {
  let records: Recorder
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    records.lines.withLock { $0.append("\(event.message)") }
  }
}
