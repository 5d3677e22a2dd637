import Cluster
import Testing

@Suite("WitnessKeyring")
struct WitnessKeyringTests {
  static let new = Array("the new key of this cluster, 32+ bytes".utf8)
  static let old = Array("the old key of this cluster, 32+ bytes".utf8)
  static let otherCluster = Array("another cluster's key, also 32 bytes".utf8)

  static func request(node: UInt8, sequence: UInt64, nonce: UInt64) -> WitnessRequest {
    WitnessRequest(
      clusterID: 7, nodeID: node, bootEpoch: 100 + UInt64(node), sequence: sequence,
      echoedNonce: nonce, leaseMilliseconds: 3000, claim: true, primary: false,
      priority: node == 0 ? 200 : 100)
  }

  @Test func bothKeysOfAClusterOpenIntoOneClusterAndTheAnswerUsesTheSendersKey() throws {
    let keyring = WitnessKeyring(clusters: [[Self.new, Self.old], [Self.otherCluster]])
    let request = Self.request(node: 1, sequence: 1, nonce: 0)
    for (key, cluster) in [(Self.new, 0), (Self.old, 0), (Self.otherCluster, 1)] {
      let opened = try #require(keyring.open(WitnessCodec(key: key).encode(request)))
      #expect(opened.cluster == cluster)
      #expect(opened.request == request)
      let reply = WitnessReply(
        clusterID: 7, nodeID: 1, echoedEpoch: 101, echoedSequence: 1, nonce: 5, recorded: false,
        holder: nil, confirmed: false)
      // The sender accepts only its current key: the answer must be signed with that one.
      #expect(
        try WitnessCodec(key: key).decodeReply(opened.codec.encode(reply), expectedClusterID: 7)
          == reply)
    }
    #expect(
      keyring.open(
        WitnessCodec(key: Array("no cluster's key, 32 bytes long!!".utf8))
          .encode(request)) == nil)
    #expect(keyring.open([]) == nil)
  }

  @Test func midRotationTheTwoNodesCompeteForOneGrant() throws {
    // node0 already sends with the new key, node1 still with the old one. Were the keys two
    // clusters, each node would be granted alone and both would take over in a partition.
    let keyring = WitnessKeyring(clusters: [[Self.new, Self.old]])
    var arbiter = WitnessArbiter(startedAt: .milliseconds(-100_000), nonceSeed: 42)
    var nonces: [UInt64] = [0, 0]
    var holders: [UInt8?] = [nil, nil]
    for (step, (node, key)) in [(0, Self.new), (1, Self.old), (0, Self.new), (1, Self.old)]
      .enumerated()
    {
      let bytes = WitnessCodec(key: key).encode(
        Self.request(node: UInt8(node), sequence: UInt64(step + 1), nonce: nonces[node]))
      let opened = try #require(keyring.open(bytes))
      let decision = arbiter.requestReceived(
        opened.request, keyIndex: opened.cluster, now: .milliseconds(Int64(step)))
      let reply = try #require(decision.reply)
      nonces[node] = reply.nonce
      holders[node] = reply.holder
    }
    #expect(holders == [0, 0])  // node0 holds the grant, and node1 is told so
  }
}
