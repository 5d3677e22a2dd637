/// What a reload cannot apply to a running agent, and what it applies at a risk: said in the
/// reload's record instead of being ignored without a word.
public struct ReloadDifferences: Equatable, Sendable {
  /// Settings that changed in the file but keep their running value until a restart
  /// (`set chassis cluster node 0 control-address`, `control-port`, …), in statement form.
  public var needRestart: [String] = []
  /// Changes that are applied and can separate the pair until the peer has them too.
  public var warnings: [String] = []
  /// What the reload does to this node's reths (added, removed, set up again), when the
  /// local node is given: the data plane applies these at once.
  public var reths: [String] = []

  public var isEmpty: Bool { needRestart.isEmpty && warnings.isEmpty && reths.isEmpty }

  public init(needRestart: [String] = [], warnings: [String] = [], reths: [String] = []) {
    self.needRestart = needRestart
    self.warnings = warnings
    self.reths = reths
  }

  public init(
    running: ClusterConfiguration, reloaded: ClusterConfiguration, keyChanged: Bool,
    localNode: Int? = nil
  ) {
    for node in 0..<2 {
      if running.nodes[node].controlAddress != reloaded.nodes[node].controlAddress {
        needRestart.append("node \(node) control-address")
      }
      if running.nodes[node].fabricAddress != reloaded.nodes[node].fabricAddress {
        needRestart.append("node \(node) fabric-address")
      }
      // The LAN heartbeat's sockets are opened at start, like the other two links'.
      if running.nodes[node].lanAddress != reloaded.nodes[node].lanAddress {
        needRestart.append("node \(node) lan-address")
      }
    }
    if running.clusterID != reloaded.clusterID { needRestart.append("cluster-id") }
    if running.controlPort != reloaded.controlPort { needRestart.append("control-port") }
    if running.fabricPort != reloaded.fabricPort { needRestart.append("fabric-port") }
    if running.controlSocketPath != reloaded.controlSocketPath {
      needRestart.append("control-socket")
    }
    if running.agentXSocket != reloaded.agentXSocket { needRestart.append("snmp agentx socket") }
    if running.metricsListen != reloaded.metricsListen { needRestart.append("metrics listen") }
    if running.lanPort != reloaded.lanPort { needRestart.append("lan-port") }
    // The witness client's socket is made at start for one endpoint.
    if running.witness != reloaded.witness { needRestart.append("witness") }
    if running.sessionSync?.conntrackdConfig != reloaded.sessionSync?.conntrackdConfig {
      needRestart.append("session-sync conntrackd config")
    }
    if running.clusterID != reloaded.clusterID {
      warnings.append(
        "cluster-id changed from \(running.clusterID) to \(reloaded.clusterID) in the file: "
          + "it is not applied; restarting one node with it separates the pair until the other has it too"
      )
    }
    if keyChanged {
      warnings.append(
        "the authentication key changed and is in use now: the peer rejects this node's "
          + "heartbeats until it has the same key (or accepts it as its previous key)")
    }
    if let localNode {
      reths = Self.rethChanges(
        running: running.rethPlans(on: localNode),
        reloaded: Self.applicable(running: running, reloaded: reloaded).rethPlans(on: localNode))
    }
  }

  /// One line per reth the reload adds, removes or changes on this node, in name order.
  static func rethChanges(running: [RethPlan], reloaded: [RethPlan]) -> [String] {
    let old = Dictionary(uniqueKeysWithValues: running.map { ($0.name, $0) })
    let new = Dictionary(uniqueKeysWithValues: reloaded.map { ($0.name, $0) })
    return Set(old.keys).union(new.keys).sorted().compactMap { name in
      switch (old[name], new[name]) {
      case (nil, let added?):
        return "\(name) added (RG\(added.group), \(added.members.joined(separator: ","))): "
          + "up on this node while it is RG\(added.group)'s primary"
      case (let removed?, nil):
        return "\(name) removed: taken down and deleted on this node (RG\(removed.group))"
      case (let before?, let after?) where before != after:
        var what: [String] = []
        if before.group != after.group { what.append("redundancy-group") }
        if before.members != after.members { what.append("members") }
        if before.mac != after.mac { what.append("MAC") }
        if before.addresses != after.addresses { what.append("addresses") }
        if before.gratuitousARPCount != after.gratuitousARPCount {
          what.append("gratuitous-arp-count")
        }
        return "\(name) changed (\(what.joined(separator: ", "))): set up again; where it was "
          + "up it goes down and comes back up on RG\(after.group)'s primary, announced afresh"
      default:
        return nil
      }
    }
  }

  /// The reloaded configuration with every restart-only setting at its running value, so the
  /// agent's views show what it really uses.
  public static func applicable(
    running: ClusterConfiguration, reloaded: ClusterConfiguration
  ) -> ClusterConfiguration {
    var applied = reloaded
    applied.nodes = running.nodes
    applied.clusterID = running.clusterID
    applied.controlPort = running.controlPort
    applied.fabricPort = running.fabricPort
    applied.controlSocketPath = running.controlSocketPath
    applied.agentXSocket = running.agentXSocket
    applied.metricsListen = running.metricsListen
    applied.lanPort = running.lanPort
    applied.witness = running.witness
    // The session-sync service is made at start for one conntrackd: its timeouts reload,
    // turning it on or off or pointing it elsewhere takes a restart.
    if running.sessionSync?.conntrackdConfig != reloaded.sessionSync?.conntrackdConfig {
      applied.sessionSync = running.sessionSync
    }
    return applied
  }
}
