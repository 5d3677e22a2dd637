/// What the operator is told about session sync (DESIGN §11): journald records and traps.
public enum SessionSyncEvent: Sendable, Equatable {
  /// This node (re)joined: `CS` and priority 0 for its RGs with reths until the primary's
  /// bulk sync has arrived.
  case coldSyncStarted
  /// The bulk sync arrived: `CS` clears.
  case coldSyncCompleted(milliseconds: Int64, sessions: UInt64)
  /// No bulk sync within `cold-sync-timeout`: `CS` clears anyway.
  case coldSyncTimedOut(seconds: Int)
  /// This node took an RG over before the bulk sync arrived (the primary died): better some
  /// sessions than none.
  case coldSyncAbandoned(reason: String)
  /// The commit before the reths came up: how many sessions it had and how long it took.
  case committed(SessionCommit)
  /// conntrackd became unreachable, stalled, lost messages, or recovered.
  case healthChanged(from: SessionSyncHealth, to: SessionSyncHealth, detail: String)

  /// A short kebab-case name.
  public var name: String {
    switch self {
    case .coldSyncStarted: "cold-sync-started"
    case .coldSyncCompleted: "cold-sync-completed"
    case .coldSyncTimedOut: "cold-sync-timed-out"
    case .coldSyncAbandoned: "cold-sync-abandoned"
    case .committed(let commit): commit.timedOut ? "session-commit-timed-out" : "session-commit"
    case .healthChanged(_, let to, _):
      to == .healthy ? "session-sync-recovered" : "session-sync-\(to.rawValue)"
    }
  }

  public var summary: String {
    switch self {
    case .coldSyncStarted:
      "cold sync started: CS until the primary's sessions have arrived"
    case .coldSyncCompleted(let ms, let sessions):
      "cold sync completed after \(ms) ms (\(sessions) sessions from the peer)"
    case .coldSyncTimedOut(let seconds):
      "cold sync timed out after \(seconds) s: CS cleared without the primary's bulk sync"
    case .coldSyncAbandoned(let reason): "cold sync abandoned: \(reason)"
    case .committed(let c):
      c.timedOut
        ? "session commit for \(c.groupsText) timed out after \(c.milliseconds) ms "
          + "(\(c.sessions) sessions): the reths come up anyway"
        : "session commit for \(c.groupsText): \(c.sessions) sessions in \(c.milliseconds) ms"
    case .healthChanged(let from, let to, let detail):
      "session sync \(to.rawValue) (was \(from.rawValue)): \(detail)"
    }
  }
}

/// How conntrackd's sync looks from here.
public enum SessionSyncHealth: String, Sendable, Equatable, Codable {
  /// No sample yet.
  case unknown
  case healthy
  /// `conntrackd -C FILE -s` failed: the daemon is not running or its socket is elsewhere.
  case unreachable
  /// No message from the peer's conntrackd for a while although the peer is up (FTFW sends
  /// one each second even when idle).
  case stalled
  /// conntrackd counted lost messages since the previous sample.
  case losing
}

/// One commit (`conntrackd -c`) as the shell carried it out.
public struct SessionCommit: Sendable, Equatable, Codable {
  public var groups: [Int]
  /// The external cache's size at the commit: the sessions it put into the kernel.
  public var sessions: UInt64
  public var milliseconds: Int64
  /// The commit did not finish within `commit-timeout` (or failed): the reths came up anyway.
  public var timedOut: Bool
  /// Why it failed, when it did.
  public var error: String?

  public init(
    groups: [Int], sessions: UInt64, milliseconds: Int64, timedOut: Bool, error: String? = nil
  ) {
    self.groups = groups
    self.sessions = sessions
    self.milliseconds = milliseconds
    self.timedOut = timedOut
    self.error = error
  }

  var groupsText: String { groups.map { "rg\($0)" }.joined(separator: ",") }
}

/// What the session-sync service saw when it polled conntrackd.
public enum SessionSyncReport: Sendable, Equatable {
  case sample(ConntrackdStatistics)
  case unreachable(String)
}
