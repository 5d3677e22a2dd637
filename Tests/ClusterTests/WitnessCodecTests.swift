import Cluster
import ClusterTestSupport
import Testing

@Suite("WitnessCodec")
struct WitnessCodecTests {
  static let key = Array("0123456789abcdef0123".utf8)
  static let request = WitnessRequest(
    clusterID: 7, nodeID: 1, bootEpoch: 0x0102_0304_0506_0708, sequence: 42,
    echoedNonce: 0xDEAD_BEEF, leaseMilliseconds: 3000, claim: true, primary: false, priority: 150)
  static let reply = WitnessReply(
    clusterID: 7, nodeID: 1, echoedEpoch: 9, echoedSequence: 42, nonce: 77, recorded: true,
    holder: 1, confirmed: true)

  @Test func requestsAndRepliesRoundTripSigned() throws {
    let codec = WitnessCodec(key: Self.key)
    let bytes = codec.encode(Self.request)
    #expect(bytes.count == 38 + 32)
    #expect(Array(bytes.prefix(4)) == Array("CCWT".utf8))
    #expect(try codec.decodeRequest(bytes) == Self.request)
    for holder: UInt8? in [nil, 0, 1] {
      var reply = Self.reply
      reply.holder = holder
      #expect(try codec.decodeReply(codec.encode(reply), expectedClusterID: 7) == reply)
    }
  }

  @Test func aWrongKeyAFlippedBitOrAReflectionIsRefused() {
    let codec = WitnessCodec(key: Self.key)
    let other = WitnessCodec(key: Array("another key of 16+ bytes".utf8))
    let bytes = codec.encode(Self.request)
    #expect(throws: WitnessDecodingError.self) { try other.decodeRequest(bytes) }
    for index in bytes.indices {
      var flipped = bytes
      flipped[index] ^= 0x10
      #expect(throws: WitnessDecodingError.self) { try codec.decodeRequest(flipped) }
    }
    // A request sent back as if it were the witness's answer.
    #expect(throws: WitnessDecodingError.self) {
      try codec.decodeReply(bytes, expectedClusterID: 7)
    }
    #expect(throws: WitnessDecodingError.self) {
      try codec.decodeReply(codec.encode(Self.reply), expectedClusterID: 8)
    }
    #expect(throws: WitnessDecodingError.self) {
      try WitnessCodec(key: nil).decodeRequest(bytes)
    }
  }

  @Test func truncatedAndOversizedInputNeverTraps() {
    let codec = WitnessCodec(key: Self.key)
    let bytes = codec.encode(Self.request)
    for length in 0..<bytes.count {
      #expect(throws: WitnessDecodingError.self) { try codec.decodeRequest(bytes.prefix(length)) }
    }
    var random = SplitMix64(seed: 3)
    for _ in 0..<2000 {
      let junk = (0..<Int(random.next() % 100)).map { _ in UInt8(truncatingIfNeeded: random.next())
      }
      _ = try? codec.decodeRequest(junk)
      _ = try? codec.decodeReply(junk, expectedClusterID: 7)
    }
  }
}
