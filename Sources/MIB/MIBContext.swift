import Cluster

/// What the MIB serves beyond a `ClusterSnapshot`: configuration the snapshot does not carry,
/// the agent's own counter, and the clock that turns `ClusterTime` into TimeStamp values.
public struct MIBContext: Sendable {
  public var heartbeatIntervalMilliseconds: Int
  public var heartbeatThreshold: Int
  public var notificationsDropped: UInt32
  /// sysUpTime hundredths at a given `ClusterTime`. The shell knows both clocks' origins.
  public var timeStamp: @Sendable (ClusterTime) -> UInt32

  public init(
    heartbeatIntervalMilliseconds: Int, heartbeatThreshold: Int,
    notificationsDropped: UInt32 = 0,
    timeStamp: @escaping @Sendable (ClusterTime) -> UInt32
  ) {
    self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
    self.heartbeatThreshold = heartbeatThreshold
    self.notificationsDropped = notificationsDropped
    self.timeStamp = timeStamp
  }

  /// Heartbeat settings from the running configuration, TimeStamps counted from `agentStart`.
  public init(
    configuration: ClusterConfiguration, agentStart: ClusterTime,
    notificationsDropped: UInt32 = 0
  ) {
    self.init(
      heartbeatIntervalMilliseconds: configuration.heartbeatIntervalMilliseconds,
      heartbeatThreshold: configuration.heartbeatThreshold,
      notificationsDropped: notificationsDropped,
      timeStamp: Self.centiseconds(since: agentStart))
  }

  /// Hundredths of a second since `start`: 0 before it, saturating at 2^32-1 (about 497 days,
  /// where a TimeStamp would wrap; a stuck maximum is less misleading than a small value).
  public static func centiseconds(since start: ClusterTime) -> @Sendable (ClusterTime) -> UInt32 {
    { time in
      let elapsed = time.nanoseconds &- start.nanoseconds
      guard time.nanoseconds >= start.nanoseconds, elapsed >= 0 else { return 0 }
      return UInt32(clamping: elapsed / 10_000_000)
    }
  }
}
