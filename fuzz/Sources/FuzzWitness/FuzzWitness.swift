import Cluster
import FuzzSupport

// Witness protocol (WitnessCodec): the first byte picks the codec (bit 7: with the fixture's
// key) and the cluster id a reply must carry (bits 0-6); the rest is the datagram, decoded as
// a request (what ccwitnessd reads) and as a reply (what a node reads).
private let plain = WitnessCodec(key: nil)
private let signed = WitnessCodec(key: FuzzFixture.key)

func fuzzWitness(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = fuzzInput(data, size)
  guard let selector = input.first else { return 0 }
  let datagram = Array(input.dropFirst())
  let codec = selector & 0x80 == 0 ? plain : signed
  // An accepted message is canonical: it re-encodes to the same bytes.
  if let request = try? codec.decodeRequest(datagram) {
    if codec.encode(request) != datagram { fatalError("request does not re-encode to itself") }
    arbitrate(request, codec: codec)
  }
  if let reply = try? codec.decodeReply(datagram, expectedClusterID: selector & 0x7F) {
    if codec.encode(reply) != datagram { fatalError("reply does not re-encode to itself") }
  }
  return 0
}

/// What the witness makes of an accepted request: it answers it (unless its sequence is 0,
/// which no node sends: the first is 1), drops the same request again (a replay), and records
/// the next one that echoes its nonce while the lease runs.
private func arbitrate(_ request: WitnessRequest, codec: WitnessCodec) {
  var arbiter = WitnessArbiter(startedAt: .zero, nonceSeed: 7)
  let now = ClusterTime.milliseconds(1000)
  let first = arbiter.requestReceived(request, keyIndex: 0, now: now)
  for event in first.events { _ = event.description }
  guard let reply = first.reply else {
    if request.sequence == 0 { return }
    fatalError("a first request was not answered: \(request)")
  }
  guard reply.echoedEpoch == request.bootEpoch, reply.echoedSequence == request.sequence,
    reply.clusterID == request.clusterID, reply.nodeID == request.nodeID
  else { fatalError("the reply does not echo the request: \(reply) for \(request)") }
  if (try? codec.decodeReply(codec.encode(reply), expectedClusterID: reply.clusterID)) != reply {
    fatalError("the witness's reply does not decode to itself: \(reply)")
  }
  if arbiter.requestReceived(request, keyIndex: 0, now: now).reply != nil {
    fatalError("a replayed request was answered: \(request)")
  }
  guard request.sequence < .max else { return }
  var next = request
  next.sequence += 1
  next.echoedNonce = reply.nonce
  let second = arbiter.requestReceived(next, keyIndex: 0, now: now)
  if second.reply?.recorded != (request.leaseMilliseconds > 0) {
    fatalError("an answered challenge was not recorded: \(next) -> \(String(describing: second))")
  }
}
