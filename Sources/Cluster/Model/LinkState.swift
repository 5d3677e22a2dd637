/// What the shell knows of a monitored interface.
public enum LinkState: String, Sendable, Codable, Equatable {
  case up
  case down
  /// The interface does not exist on this host; it counts as down.
  case absent = "not-present"

  public var isUp: Bool { self == .up }
}

/// Control or fabric link as this node sees it.
public enum ClusterLinkStatus: String, Sendable, Codable, Equatable {
  case up
  case down
}

/// Whether the peer is heard.
public enum PeerStatus: String, Sendable, Codable, Equatable {
  /// Not heard since this agent started.
  case unknown
  case up
  case lost
}
