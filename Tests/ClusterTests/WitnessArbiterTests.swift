import Cluster
import Testing

/// The witness's decisions, event → decision (DESIGN §12).
@Suite("WitnessArbiter")
struct WitnessArbiterTests {
  static let lease = 3000

  /// A node's side: its own sequence numbers and the nonce it echoes.
  struct Node {
    var id: UInt8
    var epoch: UInt64 = 100
    var sequence: UInt64 = 0
    var nonce: UInt64 = 0
    var priority: UInt8

    mutating func request(claim: Bool, primary: Bool) -> WitnessRequest {
      sequence += 1
      return WitnessRequest(
        clusterID: 7, nodeID: id, bootEpoch: epoch, sequence: sequence, echoedNonce: nonce,
        leaseMilliseconds: UInt32(WitnessArbiterTests.lease), claim: claim, primary: primary,
        priority: priority)
    }
  }

  /// Sends a request and takes the nonce of the answer.
  @discardableResult
  static func send(
    _ arbiter: inout WitnessArbiter, _ node: inout Node, claim: Bool, primary: Bool,
    at ms: Int64, key: Int = 0
  ) -> WitnessArbiter.Decision {
    let decision = arbiter.requestReceived(
      node.request(claim: claim, primary: primary), keyIndex: key, now: .milliseconds(ms))
    if let reply = decision.reply { node.nonce = reply.nonce }
    return decision
  }

  static func running() -> WitnessArbiter {
    WitnessArbiter(startedAt: .milliseconds(-100_000), nonceSeed: 42)
  }

  @Test func firstContactIsNotCountedUntilANonceIsEchoed() {
    var arbiter = Self.running()
    var node0 = Node(id: 0, priority: 200)
    let first = Self.send(&arbiter, &node0, claim: true, primary: false, at: 0)
    #expect(first.reply?.recorded == false)
    #expect(first.reply?.holder == nil)
    #expect(first.reply?.echoedSequence == 1)
    #expect(first.reply?.echoedEpoch == 100)
    let second = Self.send(&arbiter, &node0, claim: true, primary: false, at: 1)
    #expect(second.reply?.recorded == true)
    #expect(second.reply?.holder == 0)
    #expect(second.reply?.confirmed == true)
    #expect(second.events.contains(.granted(.init(keyIndex: 0, clusterID: 7), node: 0)))
  }

  @Test func replayedAndStaleRequestsAreRefused() {
    var arbiter = Self.running()
    var node0 = Node(id: 0, priority: 200)
    Self.send(&arbiter, &node0, claim: false, primary: true, at: 0)
    let request = node0.request(claim: false, primary: true)
    #expect(arbiter.requestReceived(request, keyIndex: 0, now: .milliseconds(5)).reply != nil)
    let replay = arbiter.requestReceived(request, keyIndex: 0, now: .milliseconds(6))
    #expect(replay.reply == nil)
    // A nonce older than 1.5 leases proves nothing.
    let late = Self.send(&arbiter, &node0, claim: true, primary: true, at: 10_000)
    #expect(late.reply?.recorded == false)
  }

  @Test func theCurrentPrimaryIsPreferredWhileInContact() {
    var arbiter = Self.running()
    var node0 = Node(id: 0, priority: 100)
    var node1 = Node(id: 1, priority: 200)
    for ms in [0, 1] as [Int64] {
      Self.send(&arbiter, &node0, claim: false, primary: true, at: ms)
      Self.send(&arbiter, &node1, claim: false, primary: false, at: ms)
    }
    // node1 claims first, but node0 is primary and in contact: it waits for node0's claim.
    let early = Self.send(&arbiter, &node1, claim: true, primary: false, at: 1000)
    #expect(early.reply?.holder == nil)
    let primary = Self.send(&arbiter, &node0, claim: true, primary: true, at: 1010)
    #expect(primary.reply?.holder == 0)
    // Confirmed: node1 is primary of nothing.
    #expect(primary.reply?.confirmed == true)
    let denied = Self.send(&arbiter, &node1, claim: true, primary: false, at: 2000)
    #expect(denied.reply?.holder == 0)
  }

  @Test func thenTheHigherPriority() {
    // Both claim during a restarted witness's grace; the first claim after it is node0's.
    var arbiter = WitnessArbiter(startedAt: .zero, nonceSeed: 5)
    var node0 = Node(id: 0, priority: 100)
    var node1 = Node(id: 1, priority: 200)
    for ms in [0, 1, 2000] as [Int64] {
      Self.send(&arbiter, &node0, claim: true, primary: false, at: ms)
      Self.send(&arbiter, &node1, claim: true, primary: false, at: ms)
    }
    #expect(Self.send(&arbiter, &node0, claim: true, primary: false, at: 4500).reply?.holder == nil)
    #expect(Self.send(&arbiter, &node1, claim: true, primary: false, at: 4510).reply?.holder == 1)
  }

  @Test func aSilentPreferredNodeStopsBlockingAfterOneAndAHalfLeases() {
    var arbiter = Self.running()
    var node0 = Node(id: 0, priority: 200)
    var node1 = Node(id: 1, priority: 100)
    Self.send(&arbiter, &node0, claim: false, primary: true, at: 0)
    Self.send(&arbiter, &node0, claim: false, primary: true, at: 1)
    Self.send(&arbiter, &node1, claim: true, primary: false, at: 0)
    #expect(Self.send(&arbiter, &node1, claim: true, primary: false, at: 4000).reply?.holder == nil)
    let granted = Self.send(&arbiter, &node1, claim: true, primary: false, at: 4501)
    #expect(granted.reply?.holder == 1)
    #expect(granted.reply?.confirmed == true)
  }

  @Test func theHolderKeepsTheGrantWhileItRenewsThenReleasesIt() {
    var arbiter = Self.running()
    var node0 = Node(id: 0, priority: 200)
    var node1 = Node(id: 1, priority: 100)
    Self.send(&arbiter, &node1, claim: true, primary: false, at: 0)
    Self.send(&arbiter, &node1, claim: true, primary: false, at: 1)
    // node0 (higher priority) comes back in contact and claims: no failback.
    Self.send(&arbiter, &node0, claim: true, primary: false, at: 100)
    for ms in stride(from: Int64(1000), through: 20_000, by: 1000) {
      #expect(Self.send(&arbiter, &node0, claim: true, primary: false, at: ms).reply?.holder == 1)
      #expect(Self.send(&arbiter, &node1, claim: true, primary: true, at: ms).reply?.holder == 1)
    }
    let released = Self.send(&arbiter, &node1, claim: false, primary: true, at: 21_000)
    #expect(released.reply?.holder == nil)
    #expect(released.events.contains { if case .released = $0 { true } else { false } })
  }

  @Test func aGrantLapsesWhenNotRenewed() {
    var arbiter = Self.running()
    var node1 = Node(id: 1, priority: 100)
    Self.send(&arbiter, &node1, claim: true, primary: false, at: 0)
    Self.send(&arbiter, &node1, claim: true, primary: false, at: 1)
    let key = WitnessArbiter.ClusterKey(keyIndex: 0, clusterID: 7)
    #expect(arbiter.holder(of: key)?.node == 1)
    #expect(arbiter.nextDeadline == .milliseconds(4501))
    #expect(
      arbiter.tick(now: .milliseconds(4501)) == [.released(key, node: 1, reason: "not renewed")])
    #expect(arbiter.holder(of: key) == nil)
  }

  @Test func aGrantIsConfirmedOnlyOnceTheOtherNodeIsPrimaryOfNothing() {
    var arbiter = Self.running()
    var node0 = Node(id: 0, priority: 200)
    var node1 = Node(id: 1, priority: 100)
    Self.send(&arbiter, &node1, claim: false, primary: true, at: 0)
    Self.send(&arbiter, &node1, claim: false, primary: true, at: 1)
    Self.send(&arbiter, &node0, claim: true, primary: true, at: 2)
    let pending = Self.send(&arbiter, &node0, claim: true, primary: true, at: 3)
    #expect(pending.reply?.holder == 0)
    #expect(pending.reply?.confirmed == false)
    let toldToYield = Self.send(&arbiter, &node1, claim: true, primary: true, at: 4)
    #expect(toldToYield.reply?.holder == 0)
    let yielded = Self.send(&arbiter, &node1, claim: true, primary: false, at: 5)
    #expect(yielded.reply?.confirmed == true)
    #expect(Self.send(&arbiter, &node0, claim: true, primary: true, at: 6).reply?.confirmed == true)
  }

  @Test func nothingIsGrantedWithinTheStartUpGrace() {
    var arbiter = WitnessArbiter(startedAt: .zero, nonceSeed: 9)
    var node0 = Node(id: 0, priority: 200)
    Self.send(&arbiter, &node0, claim: true, primary: false, at: 0)
    #expect(Self.send(&arbiter, &node0, claim: true, primary: false, at: 4499).reply?.holder == nil)
    #expect(Self.send(&arbiter, &node0, claim: true, primary: false, at: 4500).reply?.holder == 0)
  }

  @Test func clustersAreToldApartByIDAndKey() {
    var arbiter = Self.running()
    var a = Node(id: 0, priority: 100)
    var b = Node(id: 1, priority: 100)
    Self.send(&arbiter, &a, claim: true, primary: false, at: 0, key: 0)
    Self.send(&arbiter, &a, claim: true, primary: false, at: 1, key: 0)
    // Same cluster id, another key: another cluster, with a grant of its own.
    Self.send(&arbiter, &b, claim: true, primary: false, at: 0, key: 1)
    #expect(Self.send(&arbiter, &b, claim: true, primary: false, at: 1, key: 1).reply?.holder == 1)
    #expect(arbiter.clusterKeys.count == 2)
  }
}
