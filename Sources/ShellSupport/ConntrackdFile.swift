import Cluster

/// The conntrackd file session sync names, read the same way by ccagentd at load and by
/// `ccctl simulate`, so the two take the same decisions (DESIGN §2).
public enum ConntrackdFile {
  /// `cluster` as its conntrackd file makes it (whether a takeover commits an external
  /// cache). Unreadable, the commit is kept: the safe side, a commit of nothing costs one
  /// request.
  public static func applied(to cluster: ClusterConfiguration) -> ClusterConfiguration {
    guard let file = cluster.sessionSync?.conntrackdConfig,
      let text = try? FileReader.readText(file)
    else { return cluster }
    return ConntrackdConfigCheck.applying(text, to: cluster)
  }
}
