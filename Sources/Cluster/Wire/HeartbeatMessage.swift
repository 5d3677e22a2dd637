/// One heartbeat (control link) or probe (fabric link): what a node announces to its peer
/// (DESIGN §4). A heartbeat and its probe carry the same sequence number and content, and so
/// does the LAN heartbeat (DESIGN §12) when `lan-address` is configured.
public struct HeartbeatMessage: Sendable, Equatable {
  public enum Link: UInt8, Sendable, Equatable, CustomStringConvertible {
    case control = 1
    case fabric = 2
    /// The third path over a reth network: proves the peer alive, carries no cluster job.
    case lan = 3
    public var description: String {
      switch self {
      case .control: "control"
      case .fabric: "fabric"
      case .lan: "lan"
      }
    }
  }

  public var link: Link
  public var clusterID: UInt8
  public var nodeID: UInt8
  /// Random per agent start; a new epoch means the peer restarted.
  public var bootEpoch: UInt64
  public var sequence: UInt64
  /// SHA-256 prefix of the canonical configuration (DESIGN §3.1).
  public var configDigest: UInt64
  /// Bumped by `clear failover-count`; counts from an older generation are ignored.
  public var counterGeneration: UInt32
  /// The sender's freshness challenge for this session; the peer echoes it back.
  public var nonce: UInt64
  /// The peer's latest nonce as the sender received it: proves the message is newer than it.
  public var echoedNonce: UInt64
  /// The sender is stopping and has given up every RG: the peer takes over at once.
  public var leaving: Bool
  public var groups: [GroupAnnouncement]

  public init(
    link: Link, clusterID: UInt8, nodeID: UInt8, bootEpoch: UInt64, sequence: UInt64,
    configDigest: UInt64, counterGeneration: UInt32, nonce: UInt64 = 0, echoedNonce: UInt64 = 0,
    leaving: Bool = false, groups: [GroupAnnouncement]
  ) {
    self.link = link
    self.clusterID = clusterID
    self.nodeID = nodeID
    self.bootEpoch = bootEpoch
    self.sequence = sequence
    self.configDigest = configDigest
    self.counterGeneration = counterGeneration
    self.nonce = nonce
    self.echoedNonce = echoedNonce
    self.leaving = leaving
    self.groups = groups
  }
}

/// The sender's view of one redundancy group.
public struct GroupAnnouncement: Sendable, Equatable {
  public var id: UInt8
  public var configuredPriority: UInt8
  public var effectivePriority: UInt8
  /// May go negative (DESIGN §3.5).
  public var weight: Int16
  public var state: RedundancyGroupState
  /// Whether the sender counts as a healthy candidate (weight > 0 after the IP decision table).
  public var healthy: Bool
  public var failureCodes: FailureCodes
  public var failoverCount: UInt32
  /// Manual failover: the target node, or nil; ordered by (generation, author).
  public var manualTarget: UInt8?
  public var manualGeneration: UInt32
  public var manualAuthor: UInt8
  /// Bumped by `request failover reset`: a stopped preempt resumes on both nodes.
  public var preemptGeneration: UInt32

  public init(
    id: UInt8, configuredPriority: UInt8, effectivePriority: UInt8, weight: Int16,
    state: RedundancyGroupState, healthy: Bool, failureCodes: FailureCodes, failoverCount: UInt32,
    manualTarget: UInt8?, manualGeneration: UInt32, manualAuthor: UInt8,
    preemptGeneration: UInt32 = 0
  ) {
    self.id = id
    self.configuredPriority = configuredPriority
    self.effectivePriority = effectivePriority
    self.weight = weight
    self.state = state
    self.healthy = healthy
    self.failureCodes = failureCodes
    self.failoverCount = failoverCount
    self.manualTarget = manualTarget
    self.manualGeneration = manualGeneration
    self.manualAuthor = manualAuthor
    self.preemptGeneration = preemptGeneration
  }
}
