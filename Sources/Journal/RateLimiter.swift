/// Limits repetitive records per key (DESIGN §8), e.g. `auth:10.0.0.2`: at most `limit` records
/// per fixed window that starts with the key's first record. The rest are counted, and when a
/// window with suppressed records closes, a `Summary` comes back for a `messagesSuppressed`
/// record. Pure: the caller passes the time, as any instant type (`ContinuousClock.Instant` in
/// the shell; tests derive theirs from one reading).
public struct RateLimiter<Instant: InstantProtocol & Sendable>: Sendable
where Instant.Duration == Duration {
  public struct Summary: Sendable, Equatable {
    public var key: String
    public var suppressed: Int
    public var windowStart: Instant
    public var window: Duration
  }

  public struct Decision: Sendable, Equatable {
    /// The key the record was counted under: its own, or `overflowKey` when the table is full.
    public var key: String
    /// Log this record.
    public var allowed: Bool
    /// The key's previous window closed with suppressed records: log this as well.
    public var summary: Summary?
  }

  private struct Window: Sendable {
    var start: Instant
    var count: Int
    var suppressed: Int
  }

  /// New keys while `maxKeys` windows are open share this one, so a flood of spoofed sources
  /// cannot grow the table; `expire(now:)` frees the slots.
  public static var overflowKey: String { "*" }

  public let limit: Int
  public let window: Duration
  public let maxKeys: Int
  private var windows: [String: Window] = [:]

  public init(limit: Int = 5, window: Duration = .seconds(10), maxKeys: Int = 256) {
    precondition(limit >= 1 && window > .zero && maxKeys >= 1)
    self.limit = limit
    self.window = window
    self.maxKeys = maxKeys
  }

  /// The number of keys with an open window.
  public var keyCount: Int { windows.count }

  /// Whether `key` has an open window.
  public func isOpen(_ key: String) -> Bool { windows[key] != nil }

  /// Counts one record for `key` at `now`.
  public mutating func admit(key: String, now: Instant) -> Decision {
    var key = key
    let regularKeys = windows.count - (windows[Self.overflowKey] == nil ? 0 : 1)
    if windows[key] == nil && regularKeys >= maxKeys { key = Self.overflowKey }
    var current = windows[key] ?? Window(start: now, count: 0, suppressed: 0)
    var summary: Summary?
    if now >= current.start.advanced(by: window) {
      if current.suppressed > 0 {
        summary = Summary(
          key: key, suppressed: current.suppressed, windowStart: current.start, window: window)
      }
      current = Window(start: now, count: 0, suppressed: 0)
    }
    let allowed = current.count < limit
    if allowed { current.count += 1 } else { current.suppressed += 1 }
    windows[key] = current
    return Decision(key: key, allowed: allowed, summary: summary)
  }

  /// When the earliest open window ends: arm a timer for `expire(now:)` then.
  public var nextExpiry: Instant? {
    windows.values.map { $0.start.advanced(by: window) }.min()
  }

  /// Closes every window that ended at or before `now`, forgetting its key; returns the
  /// summaries of those with suppressed records. Call it periodically (e.g. at `nextExpiry`) so
  /// a burst that simply stops still gets its summary.
  public mutating func expire(now: Instant) -> [Summary] {
    var summaries: [Summary] = []
    for (key, w) in windows where now >= w.start.advanced(by: window) {
      if w.suppressed > 0 {
        summaries.append(
          Summary(key: key, suppressed: w.suppressed, windowStart: w.start, window: window))
      }
      windows.removeValue(forKey: key)
    }
    return summaries.sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }
  }
}
