/// Checks and summaries shared by `ccctl check-config` and `ccagentd`.
public enum DaemonRequirements {
  /// Settings only a running daemon needs: warnings for `check-config`, errors for `ccagentd`.
  public static func warnings(for c: ClusterConfiguration, file: String)
    -> [ConfigurationDiagnostic]
  {
    var out: [ConfigurationDiagnostic] = []
    for node in 0...1 {
      if c.nodes[node].controlAddress == nil {
        out.append(
          ConfigurationDiagnostic(
            file: file, line: 1, column: 1, severity: .warning,
            message: "node \(node) has no control-address "
              + "('set chassis cluster node \(node) control-address <ip>'): ccagentd needs it"))
      }
      if c.nodes[node].fabricAddress == nil {
        out.append(
          ConfigurationDiagnostic(
            file: file, line: 1, column: 1, severity: .warning,
            message: "node \(node) has no fabric-address "
              + "('set chassis cluster node \(node) fabric-address <ip>'): ccagentd needs it"))
      }
    }
    if c.authenticationKeyFile == nil && !c.authenticationDisabled {
      out.append(
        ConfigurationDiagnostic(
          file: file, line: 1, column: 1, severity: .warning,
          message: "no authentication-key-file: heartbeats are authenticated by default "
            + "('ccctl generate-key /etc/ccagent/cluster.key' and "
            + "'set chassis cluster authentication-key-file /etc/ccagent/cluster.key'); "
            + "'set chassis cluster authentication none' runs without, on purpose"))
    }
    return out
  }

  /// What `authentication none` costs, said at start, on every reload, in `check-config` and
  /// in `show information`.
  public static let unauthenticatedWarning =
    "authentication none: heartbeats are not authenticated; any host that reaches the "
    + "control and fabric ports can set every redundancy group's role"

  /// Warnings about a configuration the daemon runs all the same.
  public static func securityWarnings(for c: ClusterConfiguration, file: String)
    -> [ConfigurationDiagnostic]
  {
    guard c.authenticationDisabled else { return [] }
    return [
      ConfigurationDiagnostic(
        file: file, line: 1, column: 1, severity: .warning, message: unauthenticatedWarning)
    ]
  }
}

public enum ConfigurationSummary {
  /// `ccagent.conf: cluster-id 1, 2 redundancy groups, 2 interface monitors, 0 ip monitors, …`
  public static func line(_ c: ClusterConfiguration, file: String) -> String {
    let groups = c.redundancyGroups.values
    let interfaces = groups.reduce(0) { $0 + $1.interfaceMonitors.count }
    let addresses = groups.reduce(0) { $0 + ($1.ipMonitoring?.addresses.count ?? 0) }
    return "\(file): OK: cluster-id \(c.clusterID), \(groups.count) redundancy groups, "
      + "\(interfaces) interface monitors, \(addresses) ip monitors, "
      + "\(c.redundantEthernets.count) reth, heartbeat \(c.heartbeatIntervalMilliseconds) ms x "
      + "\(c.heartbeatThreshold)"
  }
}
