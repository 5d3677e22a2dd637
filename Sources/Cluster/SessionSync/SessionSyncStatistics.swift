/// Session sync as `show statistics` (Junos `show chassis cluster data-plane statistics`),
/// its JSON and the MIB show it.
public struct SessionSyncStatistics: Sendable, Equatable, Codable {
  public var conntrackdConfig: String
  public var health: SessionSyncHealth
  public var healthDetail: String?
  /// `CS` is raised (this node waits for the primary's bulk sync).
  public var coldSync: Bool
  /// false: `DisableExternalCache On`, the peer's sessions go straight into the kernel.
  public var externalCache: Bool = true
  /// conntrackd's counters at the latest poll; nil before the first answer.
  public var counters: ConntrackdStatistics?
  public var lastCommit: SessionCommit?
  public var commits: UInt64
  public var commitTimeouts: UInt64
}
