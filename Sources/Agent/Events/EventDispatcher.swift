import Cluster
import Journal
import Logging
import Synchronization

/// Turns each cluster event into its outputs: a structured journal record (through the
/// catalog), a notify-hook run for RG state changes, and an SNMP notification.
/// Everything here is non-blocking: hooks and traps are queued for their own workers.
final class EventDispatcher: Sendable {
  private let logger: Logger
  private let context: Mutex<EventContext>
  private let hooks: Mutex<NotifyHookRunner?>
  private let limiter = Mutex(RecordRateLimiter<ContinuousClock.Instant>())
  // The sink lives in a class: a bare closure read out of `Mutex.withLock` gets wrapped in one
  // more reabstraction thunk per read, and after enough events calling it overflowed the
  // stack (found by `make bench-smoke` at 10 ms heartbeats, confirmed from a core dump).
  private let traps: Mutex<TrapSink?> = Mutex(nil)

  private final class TrapSink: Sendable {
    let send: @Sendable (ClusterEvent, ClusterSnapshot) -> Void
    init(_ send: @escaping @Sendable (ClusterEvent, ClusterSnapshot) -> Void) { self.send = send }
  }

  init(logger: Logger, context: EventContext) {
    self.logger = logger
    self.context = Mutex(context)
    self.hooks = Mutex(nil)
  }

  func configure(context: EventContext, hooks newHooks: NotifyHookRunner?) {
    self.context.withLock { $0 = context }
    let old = hooks.withLock { current -> NotifyHookRunner? in
      let old = current
      current = newHooks
      return old
    }
    if old !== newHooks { old?.stop() }
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
        EventCatalog.log(record, to: logger)
      }
    }
    if case .groupStateChanged(let change) = event {
      hooks.withLock { $0 }?.notify(
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
    let context = self.context.withLock { $0 }
    let records = limiter.withLock { $0.admit(record, key: key, now: now, context: context) }
    for record in records { EventCatalog.log(record, to: logger) }
  }

  /// Logs the summary of every rate-limit window that closed with suppressed records, though no
  /// new record came to report it. Call it on a timer, at `nextSuppressedRecordsFlush`.
  func flushSuppressedRecords(now: ContinuousClock.Instant = .now) {
    let context = self.context.withLock { $0 }
    let records = limiter.withLock { $0.flush(now: now, context: context) }
    for record in records { EventCatalog.log(record, to: logger) }
  }

  /// When `flushSuppressedRecords` has something to close; `nil` while no window is open.
  var nextSuppressedRecordsFlush: ContinuousClock.Instant? { limiter.withLock { $0.nextFlush } }
}
