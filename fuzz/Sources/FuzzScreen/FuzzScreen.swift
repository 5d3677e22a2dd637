import Cluster
import FuzzSupport

// The receive path's screen (HeartbeatScreen): source check, replay floor, HMAC, decode, port.
// The first byte steers it:
//   bits 0-1  the port the datagram arrived on (control, fabric, lan; 3 is control)
//   bit 2     from some other address than the peer's on that link
//   bit 3     a replay floor: the next 16 bytes are the epoch and sequence it last accepted
//   bit 4     an unauthenticated cluster (else the fixture's key, the previous key accepted)
// and the rest is the datagram. An accepted message is then taken as the state machine takes
// it: through a copy of the replay guard and the freshness challenge.
private let sources = PeerSources(configuration: FuzzFixture.configuration, localNode: 0)
private let plain = HeartbeatCodec(key: nil)
private let signed = HeartbeatCodec(key: FuzzFixture.key, previousKey: FuzzFixture.previousKey)
private let links: [HeartbeatMessage.Link] = [.control, .fabric, .lan, .control]
private let peer = links.map { sources.address(for: $0).flatMap(PacketSource.init(text:))! }
private let stranger = PacketSource(ipv4: 0x0A00_0063)

func fuzzScreen(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzBytes(fuzzInput(data, size))
  let selector = input.byte()
  let link = links[Int(selector & 3)]
  let source = selector & 4 == 0 ? peer[Int(selector & 3)] : stranger
  var floor = ReplayGuard()
  if selector & 8 != 0 {
    _ = floor.accept(epoch: input.uint64(), sequence: input.uint64(), link: link)
  }
  let screen = HeartbeatScreen(
    codec: selector & 16 == 0 ? signed : plain, clusterID: FuzzFixture.clusterID,
    sources: sources, replayFloor: floor)
  let datagram = Array(input.rest)
  switch screen.screen(datagram, link: link, source: source) {
  case .rejected(let reason):
    _ = reason.description
  case .accepted(let message):
    check(message, datagram: datagram, link: link, source: source, floor: floor)
  }
  return 0
}

private func check(
  _ message: HeartbeatMessage, datagram: [UInt8], link: HeartbeatMessage.Link,
  source: PacketSource, floor: ReplayGuard
) {
  guard source != stranger, message.link == link, message.clusterID == FuzzFixture.clusterID
  else { fatalError("accepted from \(source) on \(link): \(message)") }
  // The floor is asked before the HMAC, from the unauthenticated header: it must be the
  // header the decoder then authenticates.
  guard let header = HeartbeatCodec.sequenceFields(datagram),
    header.epoch == message.bootEpoch, header.sequence == message.sequence
  else { fatalError("the screen's header fields are not the message's: \(message)") }
  var replay = floor
  if replay.accept(epoch: message.bootEpoch, sequence: message.sequence, link: link) == .replayed {
    fatalError("the screen let through what the replay guard refuses: \(message)")
  }
  var challenge = FreshnessChallenge(seed: 42)
  _ = challenge.isAnswered(by: message)
  _ = challenge.observe(peerNonce: message.nonce)
  if challenge.outgoing().echoed != message.nonce {
    fatalError("the challenge does not echo the peer's nonce \(message.nonce)")
  }
}
