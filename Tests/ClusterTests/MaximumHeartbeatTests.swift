import Cluster
import Testing

@Suite("The largest valid heartbeat (issue 13 item 18)")
struct MaximumHeartbeatTests {
  @Test func largestSignedMessageIsMaximumMessageSizeAndRoundTrips() throws {
    let codec = HeartbeatCodec(key: Array(repeating: 0x42, count: 32))
    let groups = (0...128).map { id in
      GroupAnnouncement(
        id: UInt8(id), configuredPriority: 254, effectivePriority: 254, weight: .min,
        state: .secondaryHold, healthy: true, failureCodes: FailureCodes(rawValue: 0xFF),
        failoverCount: .max, manualTarget: 1, manualGeneration: .max, manualAuthor: 1,
        preemptGeneration: .max)
    }
    let message = HeartbeatMessage(
      link: .control, clusterID: 255, nodeID: 1, bootEpoch: .max, sequence: .max,
      configDigest: .max, counterGeneration: .max, nonce: .max, echoedNonce: .max,
      leaving: true, groups: groups)
    let bytes = codec.encode(message)
    #expect(bytes.count == HeartbeatCodec.maximumMessageSize)
    #expect(bytes.count > 2048)  // NIO's default datagram read would cut it
    #expect(try codec.decode(bytes, expectedClusterID: 255) == message)
  }
}
