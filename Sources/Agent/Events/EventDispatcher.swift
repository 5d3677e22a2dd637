import Cluster
import Logging
import Synchronization

/// Turns each cluster event into its outputs: a structured journal record (through the
/// catalog), a notify-hook run for RG state changes, and an SNMP notification.
/// Everything here is non-blocking: records, hooks and traps are queued for their own threads.
final class EventDispatcher: Sendable {
  private let logger: Logger
  private let context: Mutex<EventContext>
  private let hooks: NotifyHookRunner
  private let records: RecordWriter
  private let limiter = Mutex(RateLimiter<ContinuousClock.Instant>())
  // The sink lives in a class: a bare closure read out of `Mutex.withLock` gets wrapped in one
  // more reabstraction thunk per read, and after enough events calling it overflowed the
  // stack (found by `make bench-smoke` at 10 ms heartbeats, confirmed from a core dump).
  private let traps: Mutex<TrapSink?> = Mutex(nil)

  private final class TrapSink: Sendable {
    let send: @Sendable (ClusterEvent, ClusterSnapshot) -> Void
    init(_ send: @escaping @Sendable (ClusterEvent, ClusterSnapshot) -> Void) { self.send = send }
  }

  init(logger: Logger, context: EventContext) throws {
    self.logger = logger
    self.context = Mutex(context)
    hooks = try NotifyHookRunner(logger: logger)
    records = try RecordWriter(logger: logger)
  }

  /// A (re)loaded configuration: its context for new records, its script for later hook runs
  /// (runs already queued keep theirs and their order).
  func configure(context: EventContext, notifyScript: String?, notifyTimeout: Duration) {
    self.context.withLock { $0 = context }
    hooks.configure(script: notifyScript, timeout: notifyTimeout)
  }

  /// Records dropped because the journal did not keep up.
  var droppedRecords: Int { records.droppedRecords }

  /// Writes a record through the writer thread (start-up, reload and stop records too, so
  /// they keep their order with the events').
  func log(
    _ record: EventRecord, file: String = #fileID, function: String = #function,
    line: UInt = #line
  ) {
    records.write(record, file: file, function: function, line: line)
  }

  /// Waits for the queued hook runs and records (the agent is stopping).
  func stop() {
    hooks.stop()
    records.stop()
  }

  var currentContext: EventContext { context.withLock { $0 } }

  func onTrap(_ sink: @escaping @Sendable (ClusterEvent, ClusterSnapshot) -> Void) {
    traps.withLock { $0 = TrapSink(sink) }
  }

  func dispatch(_ event: ClusterEvent, snapshot: ClusterSnapshot) {
    let context = self.context.withLock { $0 }
    if let record = EventCatalog.record(for: event, context: context) {
      if case .datagramRejected = event {
        // Keyed by the kind of rejection, not its numbers: each replayed or duplicated
        // datagram carries its own sequence number, and a key per number limited nothing.
        log(limited: record, key: "rejected:" + event.summary.filter { !$0.isNumber })
      } else {
        records.write(record)
      }
    }
    if case .groupStateChanged(let change) = event {
      hooks.notify(
        group: change.group, newState: change.to.description,
        previousState: change.from.description, reason: change.reason)
    }
    traps.withLock { $0 }?.send(event, snapshot)
  }

  /// Bad datagrams on the heartbeat ports, with their source: logged at a bounded rate.
  func rejected(link: HeartbeatMessage.Link, source: String, reason: String) {
    let context = self.context.withLock { $0 }
    let record = EventCatalog.authenticationFailure(
      source: source, link: link.description, reason: reason, context: context)
    log(limited: record, key: "auth:\(source)")
  }

  private func log(limited record: EventRecord, key: String) {
    let now = ContinuousClock.now
    let verdict = limiter.withLock { $0.admit(key: key, now: now) }
    if verdict.allowed {
      records.write(record)
    }
    if let summary = verdict.summary {
      let context = self.context.withLock { $0 }
      records.write(EventCatalog.messagesSuppressed(summary, kind: record.kind, context: context))
    }
  }
}
