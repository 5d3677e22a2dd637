/// `set chassis cluster session-sync …` (DESIGN §11): conntrackd replicates the kernel's
/// connection tracking over the fabric; ccagentd orders its commit before the reths come up.
public struct SessionSyncConfiguration: Sendable, Equatable {
  /// conntrackd's own configuration file: every client command is `conntrackd -C FILE …`, so
  /// it reaches the daemon that file's UNIX socket names (and never starts a second one).
  public var conntrackdConfig: String
  /// How long the commit of the peer's sessions may hold back the reths (100–60000 ms).
  public var commitTimeoutMilliseconds: Int = 2000
  /// How long a (re)joining node waits for the primary's bulk sync before `CS` clears anyway.
  public var coldSyncTimeoutSeconds: Int = 60
  /// Whether an unhealthy sync (conntrackd unreachable, stalled or losing messages) makes the
  /// RGs with reths unhealthy on this node (`failure`) or is only reported (`warn`, default).
  public var healthAction: HealthAction = .warn

  public enum HealthAction: String, Sendable, Equatable, CaseIterable {
    case warn
    case failure
  }

  /// false when the conntrackd file says `DisableExternalCache On`: conntrackd puts the
  /// peer's sessions into the kernel as they arrive, so becoming primary needs no commit
  /// (none holds the reths back, whatever the table's size) and a backup's kernel timers must
  /// not be shortened (`-t` would expire the sessions it holds for the primary). Not a
  /// statement: the shell reads it from the conntrackd file
  /// (`ConntrackdConfigCheck.disablesExternalCache`), so the two cannot disagree.
  public var externalCache = true

  public init(conntrackdConfig: String) {
    self.conntrackdConfig = conntrackdConfig
  }

  public var commitTimeout: Duration { .milliseconds(commitTimeoutMilliseconds) }
  public var coldSyncTimeout: Duration { .seconds(coldSyncTimeoutSeconds) }
}
