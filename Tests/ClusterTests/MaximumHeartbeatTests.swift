import Cluster
import ClusterTestSupport
import Testing

@Suite("The largest valid heartbeat (issue 13 item 18)")
struct MaximumHeartbeatTests {
  @Test func largestSignedMessageIsMaximumMessageSizeAndRoundTrips() throws {
    let codec = HeartbeatCodec(key: Array(repeating: 0x42, count: 32))
    let message = largestHeartbeat()
    let bytes = codec.encode(message)
    #expect(bytes.count == HeartbeatCodec.maximumMessageSize)
    #expect(bytes.count > 2048)  // NIO's default datagram read would cut it
    #expect(try codec.decode(bytes, expectedClusterID: 255) == message)
  }
}
