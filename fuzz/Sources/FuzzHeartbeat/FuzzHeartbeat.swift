import Cluster

// Heartbeat decoder, unauthenticated and with a key. The first byte picks the codec and the
// expected cluster id, the rest is the datagram, so the corpus can steer both paths.
private let plain = HeartbeatCodec(key: nil)
private let signed = HeartbeatCodec(key: Array("a-shared-secret-of-32-characters!".utf8))

func fuzzHeartbeat(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data, size > 0 else { return 0 }
  let selector = data[0]
  let datagram = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let codec = selector & 0x80 == 0 ? plain : signed
  let clusterID = selector & 0x7F
  // Every path must either throw a HeartbeatDecodingError or decode; an accepted message must
  // re-encode to the same bytes (the codec's documented canonical-form property).
  if let message = try? codec.decode(datagram, expectedClusterID: clusterID) {
    let again = codec.encode(message)
    if again != Array(datagram) {
      fatalError("accepted message does not re-encode to itself (\(datagram.count) bytes)")
    }
  }
  // Also the raw datagram with both codecs and the cluster id it claims (byte 8).
  if datagram.count > 8 {
    _ = try? plain.decode(datagram, expectedClusterID: datagram[8])
    _ = try? signed.decode(datagram, expectedClusterID: datagram[8])
  }
  return 0
}
