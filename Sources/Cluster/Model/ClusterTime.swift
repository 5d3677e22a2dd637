/// A point on the agent's monotonic clock. The core never reads a clock: the shell passes the
/// current time with every event, and the simulation passes virtual time.
public struct ClusterTime: Comparable, Hashable, Sendable, CustomStringConvertible {
  public var nanoseconds: Int64

  public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

  public static let zero = ClusterTime(nanoseconds: 0)

  public static func milliseconds(_ value: Int64) -> ClusterTime {
    ClusterTime(nanoseconds: value * 1_000_000)
  }

  public static func < (lhs: ClusterTime, rhs: ClusterTime) -> Bool {
    lhs.nanoseconds < rhs.nanoseconds
  }

  public static func + (lhs: ClusterTime, rhs: Duration) -> ClusterTime {
    ClusterTime(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
  }

  public static func - (lhs: ClusterTime, rhs: ClusterTime) -> Duration {
    .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
  }

  public var milliseconds: Int64 { nanoseconds / 1_000_000 }

  /// `12.003s`, as the simulation prints it.
  public var description: String {
    let ms = milliseconds
    let fraction = String(abs(ms % 1000))
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
  }
}

extension Duration {
  /// Whole nanoseconds, saturating (durations here are seconds to hours).
  public var nanosecondsClamped: Int64 {
    let (seconds, attoseconds) = components
    let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return seconds < 0 ? .min : .max }
    return scaled &+ attoseconds / 1_000_000_000
  }

  public var millisecondsClamped: Int64 { nanosecondsClamped / 1_000_000 }
}
