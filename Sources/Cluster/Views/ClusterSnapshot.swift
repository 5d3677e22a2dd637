/// Everything the views, the control socket and the MIB show, taken from one node's state
/// machine at one instant. Immutable once built; `status` is the `show status --json` schema.
public struct ClusterSnapshot: Sendable, Equatable {
  public var takenAt: ClusterTime
  public var status: ClusterStatus
  public var groups: [GroupDetail]
  public var interfaceMonitors: [InterfaceMonitorStatus]
  public var ipMonitors: [IPMonitorStatus]
  public var redundantEthernets: [RedundantEthernetStatus]
  public var statistics: LinkStatistics
  public var splitBrain: SplitBrainStatus
  public var configMismatch: Bool
  /// False with `set chassis cluster authentication none`.
  public var authenticated = true
}

/// `show chassis cluster status` as data (the schema `simulate --json` prints).
public struct ClusterStatus: Codable, Sendable, Equatable {
  public var clusterId: Int
  public var localNode: Int
  public var peer: PeerStatus
  public var controlLink: ClusterLinkStatus
  public var fabricLink: ClusterLinkStatus
  public var redundancyGroups: [RedundancyGroupStatus]
}

public struct RedundancyGroupStatus: Codable, Sendable, Equatable {
  public var id: Int
  public var failoverCount: Int
  /// nil when no node is primary as far as this node knows.
  public var primaryNode: Int?
  public var nodes: [NodeGroupStatus]
}

public struct NodeGroupStatus: Codable, Sendable, Equatable {
  public var node: Int
  /// Effective priority: 0 when the weight is spent or the node is out, 255 for manual failover.
  public var priority: Int
  public var configuredPriority: Int?
  public var status: RedundancyGroupState
  public var preempt: Bool
  public var manualFailover: Bool
  /// nil for a lost peer ("n/a").
  public var weight: Int?
  public var monitorFailures: [String]
}

/// RG details beyond the status table: for `information`, the MIB and traps.
public struct GroupDetail: Sendable, Equatable {
  public var id: Int
  public var weight: Int
  public var failureCodes: FailureCodes
  public var lastFailoverAt: ClusterTime?
  public var lastFailoverReason: String?
  public var lastTransitionAt: ClusterTime?
  public var holdDownIntervalSeconds: Int
  public var preempt: Bool
  public var manualTarget: Int?
  public var history: [TransitionRecord]
  public var peerLastChange: ClusterTime?
}

public struct InterfaceMonitorStatus: Sendable, Equatable, Codable {
  public var group: Int
  /// Stable 1-based position in the RG's configuration (the MIB index).
  public var index: Int
  public var interface: String
  public var weight: Int
  /// nil: both nodes.
  public var node: Int?
  /// nil when the monitor is the other node's only.
  public var state: LinkState?
  public var lastChangeMilliseconds: Int64?
}

public struct IPMonitorStatus: Sendable, Equatable, Codable {
  public var group: Int
  public var index: Int
  public var address: String
  public var weight: Int
  public var node: Int?
  /// nil when the monitor is the other node's only.
  public var reachable: Bool?
  public var consecutiveFailures: Int
  public var lastChangeMilliseconds: Int64?
}

public struct RedundantEthernetStatus: Sendable, Equatable, Codable {
  public var name: String
  public var group: Int?
  /// This node's members.
  public var members: [String]
  /// The members' link state: down when all of them are down.
  public var state: LinkState
  /// The shared MAC (`member` when the members keep their own).
  public var mac: String
  public var addresses: [String]
  /// True while this node holds the reth (up, with its addresses): it is the RG's primary.
  public var active: Bool
}

public struct LinkStatistics: Sendable, Equatable, Codable {
  public var heartbeatsSent: UInt64
  public var heartbeatsReceived: UInt64
  public var heartbeatErrors: UInt64
  public var probesSent: UInt64
  public var probesReceived: UInt64
  public var probeErrors: UInt64
  /// Of the errors, datagrams dropped undecoded because they did not come from the peer's
  /// address for the link.
  public var heartbeatSourceRejected: UInt64 = 0
  public var probeSourceRejected: UInt64 = 0
}

public struct SplitBrainStatus: Sendable, Equatable {
  public var active: [Int]
  public var count: Int
  public var lastDetectedAt: ClusterTime?
}
