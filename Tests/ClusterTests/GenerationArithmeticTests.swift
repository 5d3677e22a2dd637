import Cluster
import Testing

@Suite("Replicated generations: RFC 1982 serial arithmetic with a bound (issue 13 item 4)")
struct GenerationArithmeticTests {
  @Test func serialComparison() {
    #expect(SerialNumber.isNewer(1, than: 0))
    #expect(!SerialNumber.isNewer(0, than: 0))
    #expect(!SerialNumber.isNewer(0, than: 1))
    // Wrapping: 0 follows 0xFFFFFFFF.
    #expect(SerialNumber.isNewer(0, than: .max))
    #expect(SerialNumber.isNewer(3, than: .max - 2))
    #expect(!SerialNumber.isNewer(.max, than: 0))
    // The bound: a step of maximumStep is taken, one more is refused.
    #expect(SerialNumber.isNewer(SerialNumber.maximumStep, than: 0))
    #expect(!SerialNumber.isNewer(SerialNumber.maximumStep + 1, than: 0))
    #expect(!SerialNumber.isNewer(1 << 31, than: 0))
  }

  /// A pair in contact, then a peer message (valid MAC: a compromised or buggy peer) announcing
  /// 0xFFFFFFFF for every generation: later operator requests must still take effect.
  static func pairAfterForgedMaximum() -> MachinePair {
    var pair = MachinePair(
      configuration: pairConfiguration("set chassis cluster redundancy-group 1 preempt"))
    pair.start()
    pair.run(for: .seconds(1))
    var forged = pair.sent[1].last!
    forged.sequence &+= 1000
    forged.counterGeneration = .max
    for i in forged.groups.indices {
      forged.groups[i].manualGeneration = .max
      forged.groups[i].manualAuthor = 1
      forged.groups[i].manualTarget = 1
      forged.groups[i].preemptGeneration = .max
    }
    let actions = pair.nodes[0].messageReceived(forged, now: pair.now)
    pair.handle(actions, from: 0)
    return pair
  }

  @Test func forgedMaximumManualGenerationDoesNotFreezeManualFailover() throws {
    var pair = Self.pairAfterForgedMaximum()
    // The forged manual failover to node1 was refused: RG1 stays on node0, no manual flag.
    pair.run(for: .seconds(1))
    #expect(pair.state(0, group: 1) == .primary)
    let result = pair.nodes[0].requestManualFailover(group: 1, node: 1, now: pair.now)
    pair.handle(try result.get(), from: 0)
    pair.run(for: .seconds(1))
    #expect(pair.state(1, group: 1) == .primary)
    // And the reset reaches node1 too.
    pair.run(for: .seconds(2))
    let reset = pair.nodes[0].resetManualFailover(group: 1, now: pair.now)
    pair.handle(try reset.get(), from: 0)
    pair.run(for: .seconds(1))
    let rg1 = pair.nodes[1].snapshot(now: pair.now).status.redundancyGroups[1]
    #expect(rg1.nodes.allSatisfy { !$0.manualFailover })
  }

  @Test func forgedMaximumCounterGenerationDoesNotFreezeClearFailoverCount() {
    var pair = Self.pairAfterForgedMaximum()
    pair.run(for: .seconds(1))
    let actions = pair.nodes[0].clearFailoverCount(now: pair.now)
    pair.handle(actions, from: 0)
    pair.run(for: .seconds(1))
    // node1 adopted node0's newer generation: its counts were cleared as well.
    let rg1 = pair.nodes[1].snapshot(now: pair.now).status.redundancyGroups[1]
    #expect(rg1.failoverCount == 0)
  }

  /// A node that restarts at generation 0 joins a peer whose generations went far beyond the
  /// bound: the first view after start is adopted whatever the distance.
  @Test func restartedNodeAdoptsFarGenerations() {
    var pair = MachinePair(configuration: pairConfiguration())
    pair.start()
    pair.run(for: .seconds(1))
    var message = pair.sent[1].last!
    message.counterGeneration = 5000
    var fresh = ClusterStateMachine(
      configuration: pair.nodes[0].configuration, localNode: 0, bootEpoch: 7,
      configDigest: pair.nodes[0].configDigest)
    _ = fresh.start(now: pair.now, interfaces: ["eth1": .up])
    // node1's answer to the fresh node's first heartbeat: it echoes the new nonce.
    message.echoedNonce = fresh.localNonce
    let actions = fresh.messageReceived(message, now: pair.now)
    let sent = actions.compactMap { action -> HeartbeatMessage? in
      if case .sendHeartbeat(let m) = action { return m }
      return nil
    }
    #expect(sent.last?.counterGeneration == 5000)
  }
}
