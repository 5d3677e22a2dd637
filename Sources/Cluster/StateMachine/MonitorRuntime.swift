/// Identifies one configured monitor: its RG and 1-based position in that RG's configuration.
struct MonitorKey: Hashable, Sendable, Comparable {
  var group: Int
  var index: Int
  static func < (a: MonitorKey, b: MonitorKey) -> Bool { (a.group, a.index) < (b.group, b.index) }
}

/// One IP-monitored address: consecutive lost pings decide reachability (DESIGN §3.5).
struct IPMonitorRuntime: Sendable {
  var consecutiveFailures = 0
  var reachable = true
  var lastChangeAt: ClusterTime?
}

/// Status of the local monitors, kept apart from RG roles.
struct MonitorRuntime: Sendable {
  /// Interfaces the shell told us about; an interface never reported counts as up.
  var interfaces: [String: LinkState] = [:]
  var interfaceStatus: [MonitorKey: LinkState] = [:]
  var interfaceLastChange: [MonitorKey: ClusterTime] = [:]
  var ip: [MonitorKey: IPMonitorRuntime] = [:]

  func linkState(of name: String, in configuration: ClusterConfiguration) -> LinkState {
    if let reth = configuration.redundantEthernets[name], !reth.members.isEmpty {
      // A reth is down when all its local members are down; members absent here don't count.
      let states = reth.members.map { interfaces[$0] ?? .up }
      let present = states.filter { $0 != .absent }
      if present.isEmpty { return .absent }
      return present.contains(.up) ? .up : .down
    }
    return interfaces[name] ?? .up
  }
}

/// The monitor-derived health of one RG on one node.
struct GroupHealth: Sendable, Equatable {
  /// 255 minus failed interface weights minus the IP global weight when triggered.
  var weight: Int
  var interfaceFailed: Bool
  var ipTriggered: Bool
  /// Sum of unreachable addresses' weights, and what is left of `global-threshold`.
  var ipFailedWeight: Int
  var ipRemainingThreshold: Int
}
