import Crypto

/// The configuration in canonical `set` form, and its digest for the heartbeat (DESIGN §3.1).
public enum ConfigurationDigest {
  /// Statements that decide cluster behaviour, in a stable order. Host-local paths (hooks,
  /// sockets, key file location) are left out: they may differ between the nodes.
  public static func canonicalStatements(of c: ClusterConfiguration) -> [String] {
    var lines: [String] = []
    let p = "set chassis cluster"
    lines.append("\(p) cluster-id \(c.clusterID)")
    lines.append("\(p) reth-count \(c.rethCount)")
    lines.append("\(p) heartbeat-interval \(c.heartbeatIntervalMilliseconds)")
    lines.append("\(p) heartbeat-threshold \(c.heartbeatThreshold)")
    if c.controlLinkRecovery { lines.append("\(p) control-link-recovery") }
    lines.append("\(p) control-link-failure-timeout \(c.controlLinkFailureTimeoutSeconds)")
    for id in c.redundancyGroupIDs {
      guard let g = c.redundancyGroups[id] else { continue }
      let rg = "\(p) redundancy-group \(id)"
      for node in 0...1 { lines.append("\(rg) node \(node) priority \(g.priority[node])") }
      if let preempt = g.preempt {
        var line = "\(rg) preempt delay \(preempt.delaySeconds)"
        if let limit = preempt.limit, let period = preempt.periodSeconds {
          line += " limit \(limit) period \(period)"
        }
        lines.append(line)
      }
      lines.append("\(rg) hold-down-interval \(g.holdDownIntervalSeconds)")
      for m in g.interfaceMonitors {
        lines.append(
          "\(rg) interface-monitor \(m.interface) weight \(m.weight)"
            + (m.node.map { " node \($0)" } ?? ""))
      }
      if g.gratuitousARPCount != 4 {
        lines.append("\(rg) gratuitous-arp-count \(g.gratuitousARPCount)")
      }
      if let ip = g.ipMonitoring {
        lines.append("\(rg) ip-monitoring global-weight \(ip.globalWeight)")
        lines.append("\(rg) ip-monitoring global-threshold \(ip.globalThreshold)")
        lines.append("\(rg) ip-monitoring retry-interval \(ip.retryIntervalSeconds)")
        lines.append("\(rg) ip-monitoring retry-count \(ip.retryCount)")
        for a in ip.addresses {
          lines.append(
            "\(rg) ip-monitoring family inet \(a.address) weight \(a.weight)"
              + (a.node.map { " node \($0)" } ?? ""))
        }
      }
    }
    if c.rethMAC != .local { lines.append("set chassis cluster reth-mac \(c.rethMAC)") }
    for name in c.redundantEthernets.keys.sorted() {
      guard let reth = c.redundantEthernets[name] else { continue }
      if let group = reth.redundancyGroup {
        lines.append("set interfaces \(name) redundant-ether-options redundancy-group \(group)")
      }
      for member in reth.members {
        lines.append(
          "set interfaces \(member) gigether-options redundant-parent \(name)"
            + (reth.memberNode[member].map { " node \($0)" } ?? ""))
      }
      for address in reth.addresses {
        lines.append("set interfaces \(name) unit 0 family \(address.family) address \(address)")
      }
    }
    for node in 0...1 {
      for member in c.fabricMembers[node] {
        lines.append("set interfaces fab\(node) fabric-options member-interfaces \(member)")
      }
    }
    // Only when set, so that clusters without a witness keep their digest.
    if let witness = c.witness {
      lines.append("\(p) witness address \(witness.address) port \(witness.port)")
    }
    if let sync = c.sessionSync {
      // Session sync changes the election (CS); the conntrackd file's path is host-local.
      lines.append("\(p) session-sync commit-timeout \(sync.commitTimeoutMilliseconds)")
      lines.append("\(p) session-sync cold-sync-timeout \(sync.coldSyncTimeoutSeconds)")
      lines.append("\(p) session-sync health \(sync.healthAction.rawValue)")
    }
    return lines
  }

  /// First 8 bytes of SHA-256 over the canonical statements.
  public static func digest(of configuration: ClusterConfiguration) -> UInt64 {
    let text = canonicalStatements(of: configuration).joined(separator: "\n")
    let hash = SHA256.hash(data: Array(text.utf8))
    var value: UInt64 = 0
    for byte in hash.prefix(8) { value = value << 8 | UInt64(byte) }
    return value
  }
}
