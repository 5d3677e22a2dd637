import Journal

extension EventContext {
  init(_ loaded: LoadedConfiguration) {
    self.init(
      clusterID: loaded.configuration.clusterID, nodeID: loaded.localNode,
      heartbeatIntervalMilliseconds: loaded.configuration.heartbeatIntervalMilliseconds,
      configDigest: loaded.digest)
    witnessAddress = loaded.configuration.witness.map { "\($0.address):\($0.port)" }
  }
}
