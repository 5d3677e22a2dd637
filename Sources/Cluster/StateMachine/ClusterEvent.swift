/// Something the operator must be told about: the shell turns each into a journald record, an
/// SNMP notification and (for state changes) a notify hook run.
public enum ClusterEvent: Sendable, Equatable {
  case groupStateChanged(GroupStateChange)
  case interfaceMonitorChanged(InterfaceMonitorChange)
  case ipMonitorChanged(IPMonitorChange)
  case controlLinkDown(missedHeartbeats: Int, lastHeartbeatAgeMilliseconds: Int64?)
  case controlLinkUp
  case fabricLinkDown(missedProbes: Int, lastProbeAgeMilliseconds: Int64?)
  case fabricLinkUp
  case peerLost(lastMessageAgeMilliseconds: Int64?)
  /// `restarted`: the peer came back with a new boot epoch.
  case peerFound(restarted: Bool)
  case splitBrainDetected(SplitBrain)
  case splitBrainResolved(SplitBrainResolution)
  case configMismatch(localDigest: UInt64, peerDigest: UInt64)
  case configMatch
  case manualFailoverRequested(group: Int, node: Int, requestedBy: Int?)
  case manualFailoverReset(group: Int, requestedBy: Int?, reason: String)
  case failoverCountCleared(requestedBy: Int?)
  case preemptLimitReached(group: Int, limit: Int, periodSeconds: Int)
  case datagramRejected(link: HeartbeatMessage.Link, source: String, reason: String)
  /// The LAN heartbeat path (DESIGN §12).
  case lanLinkDown(missedHeartbeats: Int, lastHeartbeatAgeMilliseconds: Int64?)
  case lanLinkUp
  case witness(WitnessEvent)
  case sessionSync(SessionSyncEvent)
  /// A reth came up (this node holds it) or went down here (DESIGN §10).
  case rethStatusChanged(RethStatusChange)
  /// The data plane put back an address or the link someone else took from an active reth.
  case rethRestored(RethRestore)

  /// A short kebab-case name for logs, JSON and the simulation.
  public var name: String {
    switch self {
    case .groupStateChanged: "rg-state-change"
    case .interfaceMonitorChanged(let c):
      c.state.isUp ? "interface-monitor-recovery" : "interface-monitor-failure"
    case .ipMonitorChanged(let c): c.reachable ? "ip-monitor-recovery" : "ip-monitor-failure"
    case .controlLinkDown: "control-link-down"
    case .controlLinkUp: "control-link-up"
    case .fabricLinkDown: "fabric-link-down"
    case .fabricLinkUp: "fabric-link-up"
    case .peerLost: "peer-lost"
    case .peerFound: "peer-found"
    case .splitBrainDetected: "split-brain-detected"
    case .splitBrainResolved: "split-brain-resolved"
    case .configMismatch: "config-mismatch"
    case .configMatch: "config-match"
    case .manualFailoverRequested: "manual-failover-requested"
    case .manualFailoverReset: "manual-failover-reset"
    case .failoverCountCleared: "failover-count-cleared"
    case .preemptLimitReached: "preempt-limit-reached"
    case .datagramRejected: "datagram-rejected"
    case .lanLinkDown: "lan-link-down"
    case .lanLinkUp: "lan-link-up"
    case .witness(let w): w.name
    case .sessionSync(let e): e.name
    case .rethStatusChanged: "reth-status-change"
    case .rethRestored: "reth-restored"
    }
  }

  /// One human line, as the simulation prints it.
  public var summary: String {
    switch self {
    case .groupStateChanged(let c):
      "rg\(c.group) \(c.from) -> \(c.to) (\(c.reason))"
    case .interfaceMonitorChanged(let c):
      "rg\(c.group) interface-monitor \(c.interface) \(c.state.rawValue) "
        + "(weight \(c.monitorWeight), rg weight \(c.groupWeight))"
    case .ipMonitorChanged(let c):
      "rg\(c.group) ip-monitor \(c.address) \(c.reachable ? "reachable" : "unreachable") "
        + "(weight \(c.monitorWeight), rg weight \(c.groupWeight))"
    case .controlLinkDown(let missed, _): "control link down (\(missed) heartbeats missed)"
    case .controlLinkUp: "control link up"
    case .fabricLinkDown(let missed, _): "fabric link down (\(missed) probes missed)"
    case .fabricLinkUp: "fabric link up"
    case .peerLost: "peer lost"
    case .peerFound(let restarted): restarted ? "peer found (restarted)" : "peer found"
    case .splitBrainDetected(let s):
      "split brain detected on " + s.groups.map { "rg\($0)" }.joined(separator: ",")
    case .splitBrainResolved(let r):
      "split brain resolved on " + r.groups.map { "rg\($0)" }.joined(separator: ",")
        + " (node\(r.winner) primary: \(r.reason))"
    case .configMismatch: "configuration differs from the peer's"
    case .configMatch: "configuration matches the peer's again"
    case .manualFailoverRequested(let group, let node, _):
      "manual failover of rg\(group) to node\(node) requested"
    case .manualFailoverReset(let group, _, let reason):
      "manual failover of rg\(group) reset (\(reason))"
    case .failoverCountCleared: "failover counts cleared"
    case .preemptLimitReached(let group, let limit, let period):
      "rg\(group) preempt stopped: \(limit) preemptive failovers within \(period) s"
    case .datagramRejected(let link, let source, let reason):
      "\(link) datagram from \(source) rejected: \(reason)"
    case .lanLinkDown(let missed, _): "lan link down (\(missed) heartbeats missed)"
    case .lanLinkUp: "lan link up"
    case .witness(let w): w.summary
    case .sessionSync(let e): e.summary
    case .rethStatusChanged(let c):
      "\(c.reth) (rg\(c.group)) " + (c.active ? "up on this node" : "down on this node")
    case .rethRestored(let r):
      "\(r.reth) (rg\(r.group)) restored: " + r.what
    }
  }
}

public struct GroupStateChange: Sendable, Equatable {
  public var group: Int
  public var from: RedundancyGroupState
  public var to: RedundancyGroupState
  public var reason: String
  public var failoverCount: Int
  public var localPriority: Int
  public var peerPriority: Int?
  /// This node became the RG's primary (a failover in the trap sense).
  public var becamePrimary: Bool { to == .primary }
  /// SRX sends no trap for a transition out of `hold`.
  public var isFromHold: Bool { from == .hold }
}

public struct InterfaceMonitorChange: Sendable, Equatable {
  public var group: Int
  /// 1-based position of the monitor in the RG's configuration: the MIB's stable index.
  public var index: Int
  public var interface: String
  public var state: LinkState
  public var monitorWeight: Int
  /// The RG's weight after the change (threshold 255 minus failures).
  public var groupWeight: Int
}

public struct IPMonitorChange: Sendable, Equatable {
  public var group: Int
  public var index: Int
  public var address: String
  public var reachable: Bool
  public var monitorWeight: Int
  public var groupWeight: Int
  /// What is left of `global-threshold`.
  public var remainingThreshold: Int
}

public struct RethStatusChange: Sendable, Equatable {
  public var reth: String
  /// N of rethN.
  public var index: Int
  public var group: Int
  /// True: this node now holds the reth (link up with its addresses).
  public var active: Bool
  public var addresses: [RethAddress]
}

public struct RethRestore: Sendable, Equatable {
  public var reth: String
  public var index: Int
  public var group: Int
  /// The link had been set down (or deleted) and is up again.
  public var linkRestored: Bool
  /// The configured addresses put back.
  public var addresses: [Restored]
  /// The data plane's count of repairs of this reth, this one included.
  public var restores: Int

  public struct Restored: Sendable, Equatable {
    /// 1-based position in the reth's configured addresses (the MIB's index).
    public var index: Int
    public var address: RethAddress
  }

  /// "link up, 192.0.2.1/24".
  public var what: String {
    let parts = (linkRestored ? ["link up"] : []) + addresses.map(\.address.description)
    return parts.isEmpty ? "link-local address" : parts.joined(separator: ", ")
  }
}

public struct SplitBrain: Sendable, Equatable {
  public var groups: [Int]
  public var localPriorities: [Int]
  public var peerPriorities: [Int]
}

public struct SplitBrainResolution: Sendable, Equatable {
  public var groups: [Int]
  public var winner: Int
  public var reason: String
}

extension ClusterEvent {
  /// A datagram the agent refused: a record at a bounded rate, nothing else.
  public var isRejection: Bool {
    switch self {
    case .datagramRejected, .witness(.rejected): true
    default: false
    }
  }
}
