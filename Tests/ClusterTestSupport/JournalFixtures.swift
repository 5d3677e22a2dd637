import Journal

/// The record context the journal tests log under: cluster 7, node0.
public let sampleEventContext = EventContext(
  clusterID: 7, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0x0123_4567_89AB_CDEF
)
