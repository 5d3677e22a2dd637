/// What a reload cannot apply to a running agent, and what it applies at a risk: said in the
/// reload's record instead of being ignored without a word.
public struct ReloadDifferences: Equatable, Sendable {
  /// Settings that changed in the file but keep their running value until a restart
  /// (`set chassis cluster node 0 control-address`, `control-port`, …), in statement form.
  public var needRestart: [String] = []
  /// Changes that are applied and can separate the pair until the peer has them too.
  public var warnings: [String] = []

  public var isEmpty: Bool { needRestart.isEmpty && warnings.isEmpty }

  public init(needRestart: [String] = [], warnings: [String] = []) {
    self.needRestart = needRestart
    self.warnings = warnings
  }

  public init(
    running: ClusterConfiguration, reloaded: ClusterConfiguration, keyChanged: Bool
  ) {
    for node in 0..<2 {
      if running.nodes[node].controlAddress != reloaded.nodes[node].controlAddress {
        needRestart.append("node \(node) control-address")
      }
      if running.nodes[node].fabricAddress != reloaded.nodes[node].fabricAddress {
        needRestart.append("node \(node) fabric-address")
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
    // The session-sync service is made at start for one conntrackd: its timeouts reload,
    // turning it on or off or pointing it elsewhere takes a restart.
    if running.sessionSync?.conntrackdConfig != reloaded.sessionSync?.conntrackdConfig {
      applied.sessionSync = running.sessionSync
    }
    return applied
  }
}
