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
  /// nil without a witness configured (DESIGN §12).
  public var witness: WitnessStatus? = nil
}

/// `show chassis cluster status` as data (the schema `simulate --json` prints).
public struct ClusterStatus: Codable, Sendable, Equatable {
  public var clusterId: Int
  public var localNode: Int
  public var peer: PeerStatus
  public var controlLink: ClusterLinkStatus
  public var fabricLink: ClusterLinkStatus
  /// nil without `lan-address` on both nodes (left out of the JSON).
  public var lanLink: ClusterLinkStatus? = nil
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
  public var failureCodes: FailureCodes

  /// ["IF", "IP"]: the codes as the views print them (and the JSON key they travel under).
  public var monitorFailures: [String] { failureCodes.abbreviations }
}

extension NodeGroupStatus {
  private enum CodingKeys: String, CodingKey {
    case node, priority, configuredPriority, status, preempt, manualFailover, weight
    case monitorFailures
  }

  // The `show status --json` schema carries the codes as abbreviations.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    node = try c.decode(Int.self, forKey: .node)
    priority = try c.decode(Int.self, forKey: .priority)
    configuredPriority = try c.decodeIfPresent(Int.self, forKey: .configuredPriority)
    status = try c.decode(RedundancyGroupState.self, forKey: .status)
    preempt = try c.decode(Bool.self, forKey: .preempt)
    manualFailover = try c.decode(Bool.self, forKey: .manualFailover)
    weight = try c.decodeIfPresent(Int.self, forKey: .weight)
    failureCodes = FailureCodes(
      abbreviations: try c.decode([String].self, forKey: .monitorFailures))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(node, forKey: .node)
    try c.encode(priority, forKey: .priority)
    try c.encodeIfPresent(configuredPriority, forKey: .configuredPriority)
    try c.encode(status, forKey: .status)
    try c.encode(preempt, forKey: .preempt)
    try c.encode(manualFailover, forKey: .manualFailover)
    try c.encodeIfPresent(weight, forKey: .weight)
    try c.encode(monitorFailures, forKey: .monitorFailures)
  }
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
  /// N of rethN: the MIB's index.
  public var index: Int
  public var group: Int?
  /// This node's members.
  public var members: [String]
  /// The members' link state: down when all of them are down.
  public var state: LinkState
  public var mac: RethMACAssignment
  public var addresses: [RethAddress]
  /// True while this node holds the reth (up, with its addresses): it is the RG's primary.
  public var active: Bool
  /// When `active` last changed; nil before the first change.
  public var lastChangeMilliseconds: Int64?
  /// What the data plane counted (frames sent, repairs): the core sees no frames, so the
  /// shell's snapshot store merges these in (`merging(_:)`); zero in the core's snapshot.
  public var counters: RethCounters
}

/// The MAC a reth uses on this node; JSON and the views show it as text.
public enum RethMACAssignment: Sendable, Equatable, Codable, CustomStringConvertible {
  /// The shared MAC: "02:cc:a9:00:05:00".
  case shared([UInt8])
  /// `reth-mac member`: the member keeps its own ("member").
  case member
  /// Not run on this node (no member here, or no redundancy group): "-".
  case none

  public var description: String {
    switch self {
    case .shared(let bytes): RethMAC.text(bytes)
    case .member: "member"
    case .none: "-"
    }
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    switch text {
    case "member": self = .member
    case "-": self = .none
    default:
      let bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
      guard bytes.count == 6 else {
        throw DecodingError.dataCorrupted(
          DecodingError.Context(codingPath: decoder.codingPath, debugDescription: text))
      }
      self = .shared(bytes)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

/// What the data plane counts for one reth.
public struct RethCounters: Sendable, Equatable, Codable {
  public var gratuitousARPsSent = 0
  public var neighbourAdvertisementsSent = 0
  /// Frames the kernel refused (ENETDOWN while the link was down…).
  public var sendFailures = 0
  /// Repairs of what someone else changed on the active reth (the watchdog's restores).
  public var restores = 0

  public init() {}
}

extension ClusterSnapshot {
  /// This snapshot with the data plane's counters, by reth name.
  public func merging(_ counters: [String: RethCounters]) -> ClusterSnapshot {
    guard !counters.isEmpty else { return self }
    var merged = self
    for position in merged.redundantEthernets.indices {
      if let found = counters[merged.redundantEthernets[position].name] {
        merged.redundantEthernets[position].counters = found
      }
    }
    return merged
  }
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
  /// conntrackd's sync (`show chassis cluster data-plane statistics`); nil without
  /// `session-sync`.
  public var sessionSync: SessionSyncStatistics? = nil
  /// The LAN heartbeat's counters; nil (left out of the JSON) without one.
  public var lanHeartbeatsSent: UInt64? = nil
  public var lanHeartbeatsReceived: UInt64? = nil
  public var lanHeartbeatErrors: UInt64? = nil
}

public struct SplitBrainStatus: Sendable, Equatable {
  public var active: [Int]
  public var count: Int
  public var lastDetectedAt: ClusterTime?
}
