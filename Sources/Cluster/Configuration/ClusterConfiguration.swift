/// The validated cluster configuration: what the `set` statements of DESIGN §5 describe.
/// Both nodes load the same file; the local node id comes from elsewhere (`--node`, addresses).
public struct ClusterConfiguration: Sendable, Equatable {
  public var clusterID: Int
  public var rethCount: Int = 0
  /// Milliseconds between heartbeats (10–2000, default 1000).
  public var heartbeatIntervalMilliseconds: Int = 1000
  /// Heartbeats missed before a link is declared failed (3–8, default 3).
  public var heartbeatThreshold: Int = 3
  public var controlLinkRecovery: Bool = false
  /// Seconds a node stays `ineligible` after a control-link failure before it is `disabled` (ours).
  public var controlLinkFailureTimeoutSeconds: Int = 180
  /// Keyed by RG id, 0–128.
  public var redundancyGroups: [Int: RedundancyGroupConfiguration] = [:]
  /// Keyed by reth name (`reth0`).
  public var redundantEthernets: [String: RedundantEthernet] = [:]
  /// Which MAC the reths use (`set chassis cluster reth-mac local|juniper|member`).
  public var rethMAC: RethMACStyle = .local
  /// `fab0` members (node0) and `fab1` members (node1).
  public var fabricMembers: [[String]] = [[], []]
  /// Linux additions: how each node is reached.
  public var nodes: [NodeEndpoints] = [NodeEndpoints(), NodeEndpoints()]
  public var controlPort: Int = 7_400
  public var fabricPort: Int = 7_401
  /// UDP port of the LAN heartbeat (`set chassis cluster lan-port`, DESIGN §12).
  public var lanPort: Int = 7_403
  /// `set chassis cluster witness address A port P`: nil without a witness (SRX behaviour).
  public var witness: WitnessEndpoint?
  public var authenticationKeyFile: String?
  /// Also accepted, never sent: the key the peer may still use while the pair is rekeyed.
  public var previousAuthenticationKeyFile: String?
  /// `set chassis cluster authentication none`: run unauthenticated, on purpose.
  public var authenticationDisabled = false
  public var notifyScript: String?
  public var notifyTimeoutSeconds: Int = 10
  public var controlSocketPath: String = "/run/ccagent/ccagent.sock"
  public var adminGroup: String?
  public var agentXSocket: String = "/var/agentx/master"
  /// `set chassis cluster metrics listen ADDRESS:PORT`: the Prometheus endpoint; nil: off.
  public var metricsListen: ListenAddress?
  /// nil: sessions are not replicated (DESIGN §11).
  public var sessionSync: SessionSyncConfiguration?
  /// `set snmp juniper-compatible-traps`: SRX's chassis-cluster notifications beside ours.
  public var juniperCompatibleTraps = false

  public init(clusterID: Int) {
    self.clusterID = clusterID
  }

  /// RG ids in ascending order.
  public var redundancyGroupIDs: [Int] { redundancyGroups.keys.sorted() }

  public var heartbeatInterval: Duration { .milliseconds(heartbeatIntervalMilliseconds) }

  /// How long without a message before a link counts as failed.
  public var linkFailureTimeout: Duration { heartbeatInterval * heartbeatThreshold }

  /// How long a starting node waits in `hold` for its peer before it takes an RG alone: the
  /// link failure timeout, but never under one second. At 10 ms heartbeats the timeout is 30 ms,
  /// less than a loaded host needs to start its second agent's sockets, and a restarted agent
  /// that elects itself that early causes a split brain with the survivor (bench found it).
  public var bootHoldTime: Duration { max(linkFailureTimeout, Self.minimumBootHold) }

  public static let minimumBootHold: Duration = .seconds(1)
}

public struct RedundancyGroupConfiguration: Sendable, Equatable {
  public var id: Int
  /// Configured priority per node (index 0 and 1), 1–254.
  public var priority: [Int] = [0, 0]
  public var preempt: Preempt?
  /// Seconds between two failovers of this RG.
  public var holdDownIntervalSeconds: Int
  public var interfaceMonitors: [InterfaceMonitor] = []
  public var ipMonitoring: IPMonitoring?
  /// GARPs per IPv4 address (and unsolicited NAs per IPv6 address) in one burst: SRX's
  /// `gratuitous-arp-count`, 1–16.
  public var gratuitousARPCount: Int = 4

  public init(id: Int) {
    self.id = id
    self.holdDownIntervalSeconds = id == 0 ? 300 : 1
  }

  public struct Preempt: Sendable, Equatable {
    public var delaySeconds: Int = 1
    /// Preemptive failovers allowed per `periodSeconds`; nil means unlimited.
    public var limit: Int?
    public var periodSeconds: Int?
    public init() {}
  }
}

/// `interface-monitor NAME weight W [node N]`.
public struct InterfaceMonitor: Sendable, Equatable, Hashable {
  public var interface: String
  public var weight: Int
  /// nil: watched on both nodes.
  public var node: Int?
  public init(interface: String, weight: Int, node: Int? = nil) {
    self.interface = interface
    self.weight = weight
    self.node = node
  }
  public func applies(to node: Int) -> Bool { self.node == nil || self.node == node }
}

/// `ip-monitoring` of one RG: two-stage weights (DESIGN §3.5).
public struct IPMonitoring: Sendable, Equatable {
  public var globalWeight: Int = 255
  public var globalThreshold: Int = 0
  public var retryIntervalSeconds: Int = 1
  public var retryCount: Int = 5
  public var addresses: [IPMonitorAddress] = []
  public init() {}
}

public struct IPMonitorAddress: Sendable, Equatable, Hashable {
  public var address: String
  public var weight: Int
  public var sourceAddress: String?
  public var node: Int?
  public init(address: String, weight: Int, sourceAddress: String? = nil, node: Int? = nil) {
    self.address = address
    self.weight = weight
    self.sourceAddress = sourceAddress
    self.node = node
  }
  public func applies(to node: Int) -> Bool { self.node == nil || self.node == node }
}

public struct RedundantEthernet: Sendable, Equatable {
  public var name: String
  public var redundancyGroup: Int?
  /// Member interfaces by name, in configuration order (both nodes' members).
  public var members: [String] = []
  /// Members that exist on one node only (`… redundant-parent rethN node 1`).
  public var memberNode: [String: Int] = [:]
  /// `set interfaces rethN unit 0 family inet|inet6 address A/P`, in configuration order.
  public var addresses: [RethAddress] = []
  public init(name: String) { self.name = name }

  /// The members this node has.
  public func members(on node: Int) -> [String] {
    members.filter { memberNode[$0].map { $0 == node } ?? true }
  }
}

public struct NodeEndpoints: Sendable, Equatable {
  public var controlAddress: String?
  public var fabricAddress: String?
  /// The node's own address on a reth network, for the LAN heartbeat (DESIGN §12).
  public var lanAddress: String?
  public init(
    controlAddress: String? = nil, fabricAddress: String? = nil, lanAddress: String? = nil
  ) {
    self.controlAddress = controlAddress
    self.fabricAddress = fabricAddress
    self.lanAddress = lanAddress
  }
}
