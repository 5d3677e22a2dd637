import Cluster
import Journal
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
  private let limiter = Mutex(RecordRateLimiter<ContinuousClock.Instant>())
  /// SNMP's share of every event. A typed sink held once: a bare closure read out of a
  /// `Mutex` got wrapped in one more reabstraction thunk per read, and after enough events
  /// calling it overflowed the stack (found by `make bench-smoke` at 10 ms heartbeats).
  private let traps: any TrapSink

  init(logger: Logger, context: EventContext, traps: any TrapSink) throws {
    self.logger = logger
    self.traps = traps
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
    summaryTimer.withLock { $0 }?.cancel()
    hooks.stop()
    records.stop()
  }

  var currentContext: EventContext { context.withLock { $0 } }

  func dispatch(_ event: ClusterEvent, snapshot: ClusterSnapshot) {
    record(event)
    if case .groupStateChanged(let change) = event {
      hooks.notify(
        group: change.group, newState: change.to.description,
        previousState: change.from.description, reason: change.reason)
    }
    traps.notify(event, snapshot: snapshot)
  }

  /// The event's journal record alone (rejections: no trap, no hook).
  func record(_ event: ClusterEvent) {
    let context = self.context.withLock { $0 }
    if let record = EventCatalog.record(for: event, context: context) {
      if case .datagramRejected(_, let source, let reason) = event {
        // Keyed by source and kind of rejection, not its numbers: each replayed or duplicated
        // datagram carries its own sequence number, and a key per number limited nothing.
        log(limited: record, key: "rejected:\(source):" + reason.filter { !$0.isNumber })
      } else {
        records.write(record)
      }
    }
  }

  private func log(limited record: EventRecord, key: String) {
    let now = ContinuousClock.now
    let context = self.context.withLock { $0 }
    let admitted = limiter.withLock { $0.admit(record, key: key, now: now, context: context) }
    for record in admitted { records.write(record) }
    armSummaryTimer()
  }

  private let summaryTimer = Mutex<Task<Void, Never>?>(nil)

  /// One timer task while rate-limit windows are open: it writes each window's "N similar
  /// records suppressed" when the window closes, even though the burst has stopped.
  private func armSummaryTimer() {
    summaryTimer.withLock { timer in
      guard timer == nil, nextSuppressedRecordsFlush != nil else { return }
      timer = Task.detached { [weak self] in
        while let self, let due = self.nextSuppressedRecordsFlush {
          do { try await Task.sleep(until: due, tolerance: .milliseconds(100)) } catch { return }
          self.flushSuppressedRecords()
        }
        self?.summaryTimer.withLock { $0 = nil }
        self?.armSummaryTimer()  // a window opened while the timer was finishing
      }
    }
  }

  /// Logs the summary of every rate-limit window that closed with suppressed records, though no
  /// new record came to report it. Call it on a timer, at `nextSuppressedRecordsFlush`.
  func flushSuppressedRecords(now: ContinuousClock.Instant = .now) {
    let context = self.context.withLock { $0 }
    let summaries = limiter.withLock { $0.flush(now: now, context: context) }
    for record in summaries { records.write(record) }
  }

  /// When `flushSuppressedRecords` has something to close; `nil` while no window is open.
  var nextSuppressedRecordsFlush: ContinuousClock.Instant? { limiter.withLock { $0.nextFlush } }
}
