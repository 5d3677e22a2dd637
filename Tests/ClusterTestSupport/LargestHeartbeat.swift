import Cluster

/// The largest valid heartbeat: 129 groups with every counter at its maximum, so that each
/// varint takes 5 bytes (issue 13 item 18).
public func largestHeartbeat(clusterID: UInt8 = 255, nodeID: UInt8 = 1) -> HeartbeatMessage {
  let groups = (0...128).map { id in
    GroupAnnouncement(
      id: UInt8(id), configuredPriority: 254, effectivePriority: 254, weight: .min,
      state: .secondaryHold, healthy: true, failureCodes: FailureCodes(rawValue: 0xFF),
      failoverCount: .max, manualTarget: 1, manualGeneration: .max, manualAuthor: 1,
      preemptGeneration: .max)
  }
  return HeartbeatMessage(
    link: .control, clusterID: clusterID, nodeID: nodeID, bootEpoch: .max, sequence: .max,
    configDigest: .max, counterGeneration: .max, nonce: .max, echoedNonce: .max,
    leaving: true, groups: groups)
}
