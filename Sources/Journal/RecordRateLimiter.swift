/// Rate-limits event records per key (DESIGN §8) and writes the `messagesSuppressed` summary
/// of every window that closed with suppressed records. Pure, like `RateLimiter`, which does the
/// counting: the caller logs what comes back.
///
/// `admit` reports a summary only when the key's next record arrives; a burst that simply stops
/// would never be summarised. `flush(now:context:)` closes the windows that ended and returns
/// their summaries: call it when `nextFlush` comes (the shell arms a timer for it).
public struct RecordRateLimiter<Instant: InstantProtocol & Sendable>: Sendable
where Instant.Duration == Duration {
  private var limiter: RateLimiter<Instant>
  /// The kind of record each open window counts, for its summary.
  private var kinds: [String: EventKind] = [:]

  /// See `RateLimiter` for the parameters.
  public init(limit: Int = 5, window: Duration = .seconds(10), maxKeys: Int = 256) {
    limiter = RateLimiter(limit: limit, window: window, maxKeys: maxKeys)
  }

  /// What to log for `record`, counted under `key` at `now`: the record unless it is suppressed,
  /// then the summary of the key's previous window if that one suppressed records.
  public mutating func admit(
    _ record: EventRecord, key: String, now: Instant, context: EventContext
  ) -> [EventRecord] {
    let decision = limiter.admit(key: key, now: now)
    let previousKind = kinds[decision.key] ?? record.kind
    kinds[decision.key] = record.kind
    var records: [EventRecord] = []
    if decision.allowed { records.append(record) }
    if let summary = decision.summary {
      records.append(EventCatalog.messagesSuppressed(summary, kind: previousKind, context: context))
    }
    return records
  }

  /// The summaries of every window that ended at or before `now` with suppressed records, in
  /// the order the windows opened. Those windows close, and their keys start afresh.
  public mutating func flush(now: Instant, context: EventContext) -> [EventRecord] {
    let summaries = limiter.expire(now: now)
    let records = summaries.map { summary in
      // Every window opens through `admit`, which records its kind; the fallback never applies.
      EventCatalog.messagesSuppressed(
        summary, kind: kinds[summary.key] ?? .messagesSuppressed, context: context)
    }
    kinds = kinds.filter { limiter.isOpen($0.key) }
    return records
  }

  /// When the earliest open window ends: call `flush(now:context:)` then. `nil`: none is open.
  public var nextFlush: Instant? { limiter.nextExpiry }
}
