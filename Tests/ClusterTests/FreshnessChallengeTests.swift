import Cluster
import Testing

/// Issue 13 item 3: epochs that only rise, one peer epoch for both links, and a nonce the peer
/// must echo before it counts as up. Node0 is primary for RG0 and RG1 in `pairConfiguration`
/// (100 ms heartbeats, threshold 3: a link fails after 300 ms of silence).
@Suite("Freshness: replayed recordings never make a peer up (issue 13 item 3)")
struct FreshnessChallengeTests {
  static func runningPair() -> MachinePair {
    var pair = MachinePair(configuration: pairConfiguration())
    pair.start()
    pair.run(for: .seconds(2))
    return pair
  }

  static func rejections(_ actions: [ClusterAction]) -> [String] {
    actions.compactMap {
      if case .emit(.datagramRejected(_, _, let reason)) = $0 { return reason }
      return nil
    }
  }

  static func roles(_ pair: MachinePair, _ node: Int) -> [RedundancyGroupState] {
    [0, 1].map { pair.state(node, group: $0) }
  }

  // MARK: - The nonce

  @Test func noncesDifferAcrossRenewalsAndSeedsAndAreNeverZero() {
    var a = FreshnessChallenge(seed: 1)
    let first = a.nonce
    a.renew()
    #expect(a.nonce != first)
    #expect(FreshnessChallenge(seed: 2).nonce != first)
    #expect(FreshnessChallenge(seed: 1).nonce == first)  // deterministic for the simulation
    #expect(first != 0 && a.nonce != 0)
  }

  @Test func aPairOfNoncesIsAnsweredOnce() {
    var a = FreshnessChallenge(seed: 1)
    let first = a.observe(peerNonce: 42)
    #expect(first)  // never answered: answer now
    let out = a.outgoing()
    #expect(out.echoed == 42 && out.nonce == a.nonce)
    let again = a.observe(peerNonce: 42)
    #expect(!again)  // answered already, however often it comes
    let renewedByPeer = a.observe(peerNonce: 43)
    #expect(renewedByPeer)
    _ = a.outgoing()
    a.renew()
    let renewedByUs = a.observe(peerNonce: 43)
    #expect(renewedByUs)  // we renewed: the peer needs our new nonce
  }

  // MARK: - The pair

  @Test func aPairComesUpAndEveryMessageEchoesThePeersNonce() {
    let pair = Self.runningPair()
    #expect(pair.peerStatus(0) == .up && pair.peerStatus(1) == .up)
    let last = (pair.sent[0].last!, pair.sent[1].last!)
    #expect(last.0.echoedNonce == pair.nodes[1].localNonce)
    #expect(last.1.echoedNonce == pair.nodes[0].localNonce)
  }

  /// A recording replayed while the peer is up: every message is an old sequence number of the
  /// current epoch, refused without an evaluation (only the rejection comes back).
  @Test func replayWhileThePeerIsUpIsRefusedWithoutAnEvaluation() {
    var pair = Self.runningPair()
    let recording = pair.sent[1]
    for message in recording {
      let actions = pair.inject(message, to: 0)
      #expect(actions.count == 1)
      #expect(Self.rejections(actions) == ["replayed sequence \(message.sequence)"])
    }
    #expect(Self.roles(pair, 0) == [.primary, .primary])
  }

  /// The peer dies (both links cut from node0's view: node1 keeps running and sending). Its
  /// messages of that time were withheld (an attacker on the path could have kept them): newer
  /// sequence numbers of the current epoch. Replayed after node0 lost the peer, they echo the
  /// nonce of the lost session and must not bring the peer back.
  @Test func withheldMessagesOfALostSessionDoNotBringThePeerBack() {
    var pair = Self.runningPair()
    pair.run(for: .seconds(1))
    pair.cut = [.control, .fabric]
    let before = pair.sent[1].count
    pair.run(for: .seconds(1))
    #expect(pair.peerStatus(0) == .lost)
    let withheld = pair.sent[1][before...]
    #expect(withheld.count >= 5)
    var answers = 0
    for message in withheld {
      let actions = pair.nodes[0].messageReceived(message, now: pair.now)
      answers +=
        actions.filter { if case .sendHeartbeat = $0 { return true } else { return false } }
        .count
      #expect(!actions.contains(.emit(.peerFound(restarted: false))))
    }
    #expect(pair.peerStatus(0) == .lost)
    #expect(Self.roles(pair, 0) == [.primary, .primary])
    // The challenge went out once for the pair of nonces, not once per replayed message.
    #expect(answers <= 1)
  }

  /// The peer restarted once (epoch 2001), then died: a recording of its first boot (epoch
  /// 1001) is an older epoch and is refused, even though the peer is silent (the exception
  /// the old guard made for a silent peer is gone).
  @Test func replayOfAnOlderEpochAfterThePeerIsLostIsRefused() {
    var pair = Self.runningPair()
    let firstBoot = pair.sent[1]
    pair.restart(1, epoch: 2001)
    pair.run(for: .seconds(1))
    #expect(pair.peerStatus(0) == .up)
    pair.cut = [.control, .fabric]
    pair.run(for: .seconds(1))
    #expect(pair.peerStatus(0) == .lost)
    for message in firstBoot.suffix(3) {
      let actions = pair.nodes[0].messageReceived(message, now: pair.now)
      #expect(Self.rejections(actions) == ["replayed message of an earlier epoch"])
    }
    #expect(pair.peerStatus(0) == .lost)
    #expect(Self.roles(pair, 0) == [.primary, .primary])
  }

  /// Node0 restarts while node1 is dead; a recording of node1 (any epoch is new to a fresh
  /// guard) cannot echo node0's new nonce: node1 never counts as up and node0 takes every RG
  /// when its hold timer expires.
  @Test func aFreshlyStartedNodeIgnoresARecordingOfADeadPeer() {
    var pair = Self.runningPair()
    let recording = pair.sent[1].suffix(5)
    pair.cut = [.control, .fabric]
    pair.restart(0, epoch: 2000)
    for message in recording {
      let actions = pair.nodes[0].messageReceived(message, now: pair.now)
      #expect(!actions.contains(.emit(.peerFound(restarted: false))))
    }
    #expect(pair.peerStatus(0) == .unknown)
    pair.run(for: .seconds(1))
    #expect(pair.peerStatus(0) == .unknown)
    #expect(Self.roles(pair, 0) == [.primary, .primary])
  }

  /// One round trip after a restart: the restarted node's first heartbeat is answered at once
  /// with a challenge that echoes its nonce, and its answer to that makes the pair whole —
  /// all at the same instant (MachinePair delivers at once), no interval waited.
  @Test func aRestartCostsOneRoundTrip() {
    var pair = Self.runningPair()
    let sentBefore = (pair.sent[0].count, pair.sent[1].count)
    pair.restart(1, epoch: 2001)
    #expect(pair.peerStatus(1) == .up)
    #expect(pair.peerStatus(0) == .up)
    #expect(pair.emitted[0].contains(.peerFound(restarted: true)))
    // node1: its first heartbeat, then the answer that proved node0 fresh.
    #expect(pair.sent[1].count - sentBefore.1 <= 3)
    #expect(pair.sent[0].count - sentBefore.0 <= 3)
    #expect(pair.sent[1].last!.echoedNonce == pair.nodes[0].localNonce)
  }

  /// The restarted node's clock stepped back: the clock alone gives an epoch below the one
  /// the peer knows, which its guard refuses; the persisted epoch (last + 1) is accepted.
  @Test func aRestartWithTheClockSteppedBackWorksThanksToThePersistedEpoch() {
    var pair = Self.runningPair()
    let known = pair.nodes[1].bootEpoch
    // Without the persisted epoch: refused for ever.
    var stepped = pair
    stepped.restart(1, epoch: known - 100)
    stepped.run(for: .seconds(2))
    #expect(stepped.peerStatus(0) == .lost)
    #expect(stepped.peerStatus(1) != .up)
    // With it.
    let epoch = BootEpoch.next(
      wallClockMilliseconds: Int64(known >> 16) - 60_000, random: 0, last: known)
    #expect(epoch == known + 1)
    pair.restart(1, epoch: epoch)
    #expect(pair.peerStatus(0) == .up && pair.peerStatus(1) == .up)
    pair.run(for: .seconds(2))
    #expect(pair.peerStatus(0) == .up && pair.peerStatus(1) == .up)
    #expect(pair.dualPrimaryGroups.isEmpty)
  }

  /// A healed partition: both nodes renewed their nonce when they lost each other; the first
  /// exchange after the heal answers both challenges, within one interval.
  @Test func aHealedPartitionCostsOneExchange() {
    var pair = Self.runningPair()
    pair.cut = [.control, .fabric]
    pair.run(for: .seconds(1))
    #expect(pair.peerStatus(0) == .lost && pair.peerStatus(1) == .lost)
    pair.cut = []
    pair.run(for: .milliseconds(100))
    #expect(pair.peerStatus(0) == .up && pair.peerStatus(1) == .up)
  }
}
