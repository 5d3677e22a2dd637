import Journal

extension EventContext {
  init(_ loaded: LoadedConfiguration) {
    self.init(
      clusterID: loaded.configuration.clusterID, nodeID: loaded.localNode,
      heartbeatIntervalMilliseconds: loaded.configuration.heartbeatIntervalMilliseconds,
      configDigest: loaded.digest)
  }
}
