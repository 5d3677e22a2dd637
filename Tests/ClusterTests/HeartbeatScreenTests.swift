import Cluster
import Testing

private let key = Array(repeating: UInt8(0x5A), count: 32)

private func configuration() -> ClusterConfiguration {
  var configuration = ClusterConfiguration(clusterID: 3)
  configuration.nodes = [
    NodeEndpoints(controlAddress: "10.0.0.1", fabricAddress: "10.0.1.1"),
    NodeEndpoints(controlAddress: "10.0.0.2", fabricAddress: "10.0.1.2"),
  ]
  return configuration
}

private func heartbeat(sequence: UInt64, epoch: UInt64 = 100, link: HeartbeatMessage.Link)
  -> HeartbeatMessage
{
  HeartbeatMessage(
    link: link, clusterID: 3, nodeID: 1, bootEpoch: epoch, sequence: sequence,
    configDigest: 1, counterGeneration: 0, groups: [])
}

/// The receive path's decisions before the state machine (issue 13 items 2, 3 and 7).
private func at(_ text: String) -> PacketSource {
  PacketSource(text: text) ?? PacketSource(ipv4: 0)
}

@Suite("Heartbeat screen")
struct HeartbeatScreenTests {
  let codec = HeartbeatCodec(key: key)
  let screen = HeartbeatScreen(
    codec: HeartbeatCodec(key: key), clusterID: 3,
    sources: PeerSources(configuration: configuration(), localNode: 0))

  private func refusal(_ verdict: HeartbeatScreen.Verdict) -> String? {
    if case .rejected(let reason) = verdict { return reason.description }
    return nil
  }

  @Test func acceptsTheAuthenticatedPeerOnItsOwnAddressAndLink() {
    let bytes = codec.encode(heartbeat(sequence: 1, link: .fabric))
    guard case .accepted(let message) = screen.screen(bytes, link: .fabric, source: at("10.0.1.2"))
    else {
      Issue.record("refused")
      return
    }
    #expect(message.sequence == 1 && message.link == .fabric)
  }

  @Test func refusesOtherSourcesBeforeDecoding() {
    // Garbage from the wrong address: the source check decides, not the parser.
    let verdict = screen.screen([1, 2, 3], link: .control, source: at("10.0.0.9"))
    guard case .rejected(let reason) = verdict else {
      Issue.record("accepted")
      return
    }
    #expect(reason.isUnexpectedSource)
    #expect(reason.description == "not from the peer's control address 10.0.0.2")
    // The fabric address is not a control source.
    let bytes = codec.encode(heartbeat(sequence: 1, link: .control))
    #expect(refusal(screen.screen(bytes, link: .control, source: at("10.0.1.2"))) != nil)
  }

  @Test func theReplayFloorRefusesOldSequencesWithoutTheirHMAC() {
    var guardian = ReplayGuard()
    _ = guardian.accept(epoch: 100, sequence: 50, link: .control)
    var floored = screen
    floored.replayFloor = guardian
    var bytes = codec.encode(heartbeat(sequence: 50, link: .control))
    bytes[bytes.count - 1] ^= 1  // a broken HMAC: only the floor can name the replay
    #expect(
      refusal(floored.screen(bytes, link: .control, source: at("10.0.0.2")))
        == "replayed sequence 50")
    let older = codec.encode(heartbeat(sequence: 900, epoch: 99, link: .control))
    #expect(
      refusal(floored.screen(older, link: .control, source: at("10.0.0.2")))
        == "replayed message of an earlier epoch")
    // Per link: the fabric has accepted nothing of this epoch yet.
    let fabric = codec.encode(heartbeat(sequence: 50, link: .fabric))
    #expect(refusal(floored.screen(fabric, link: .fabric, source: at("10.0.1.2"))) == nil)
    // A newer sequence must still pass the HMAC.
    var forged = codec.encode(heartbeat(sequence: 51, link: .control))
    forged[forged.count - 1] ^= 1
    #expect(refusal(floored.screen(forged, link: .control, source: at("10.0.0.2"))) != nil)
  }

  @Test func sourcesCompareAsAddresses() {
    var configuration = configuration()
    configuration.nodes[1].controlAddress = "2001:db8::0:2"
    let sources = PeerSources(configuration: configuration, localNode: 0)
    #expect(sources.matches(at("2001:db8::2"), on: .control))
    #expect(
      sources.matches(
        PacketSource(ipv6: [0x20, 1, 0xd, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]),
        on: .control))
    #expect(!sources.matches(at("2001:db8::3"), on: .control))
    #expect(sources.matches(PacketSource(ipv4: 0x0A00_0102), on: .fabric))
    #expect(!sources.matches(at("10.0.1.2"), on: .lan))
  }

  @Test func thePortDecidesTheLink() {
    let bytes = codec.encode(heartbeat(sequence: 1, link: .control))
    #expect(
      refusal(screen.screen(bytes, link: .fabric, source: at("10.0.1.2")))
        == "control message on the fabric port")
  }

  @Test func aBatchCountsEveryRejectionAndKeepsAFewSamples() {
    var batch = RejectedDatagrams()
    for i in 0..<1000 {
      batch.add(
        DatagramRejection(
          link: i % 2 == 0 ? .control : .fabric, source: "192.0.2.\(i % 250)", reason: "x"),
        unexpectedSource: i % 4 == 0)
    }
    #expect(batch.count == 1000)
    #expect(batch.errors[.control] == 500 && batch.errors[.fabric] == 500)
    #expect(batch.unexpectedSources[.control] == 250 && batch.unexpectedSources[.fabric] == nil)
    #expect(batch.samples.count == RejectedDatagrams.sampleLimit)
  }

  @Test func theMachineCountsABatchWithoutAnEvaluation() {
    var machine = ClusterStateMachine(
      configuration: configuration(), localNode: 0, bootEpoch: 1, configDigest: 1, nonceSeed: 1)
    _ = machine.start(now: .zero, interfaces: [:])
    let before = machine.viewGeneration
    var batch = RejectedDatagrams()
    for _ in 0..<100 {
      batch.add(
        DatagramRejection(link: .control, source: "10.9.9.9", reason: "r"), unexpectedSource: true)
    }
    let actions = machine.datagramsRejected(batch, now: .milliseconds(1000))
    #expect(actions.count == RejectedDatagrams.sampleLimit)
    #expect(actions.allSatisfy { if case .emit(.datagramRejected) = $0 { true } else { false } })
    let statistics = machine.snapshot(now: .milliseconds(1000)).statistics
    #expect(statistics.heartbeatErrors == 100 && statistics.heartbeatSourceRejected == 100)
    #expect(machine.viewGeneration == before)
  }
}
