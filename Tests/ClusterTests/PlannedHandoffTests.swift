import Cluster
import Testing

@Suite("A stopping node announces that it leaves; the peer takes over at once (issue 13 item 12)")
struct PlannedHandoffTests {
  static func runningPair() -> MachinePair {
    var pair = MachinePair(configuration: pairConfiguration())
    pair.start()
    pair.run(for: .seconds(2))
    return pair
  }

  @Test func shutdownGivesUpEveryGroupAndSendsLeavingAtOnce() {
    var pair = Self.runningPair()
    #expect(pair.state(0, group: 0) == .primary)
    #expect(pair.state(0, group: 1) == .primary)
    pair.cut = [.control, .fabric]  // look at node0's actions alone
    let actions = pair.nodes[0].shutdownRequested(now: pair.now)
    let sent = actions.compactMap { action -> HeartbeatMessage? in
      if case .sendHeartbeat(let m) = action { return m }
      return nil
    }
    #expect(sent.count == 1)
    #expect(sent.first?.leaving == true)
    #expect(sent.first?.groups.allSatisfy { $0.state == .secondary } == true)
    let changes = actions.compactMap { action -> GroupStateChange? in
      if case .emit(.groupStateChanged(let c)) = action { return c }
      return nil
    }
    #expect(changes.map(\.group) == [0, 1])
    #expect(changes.allSatisfy { $0.to == .secondary && $0.reason == "agent stopping" })
    // The heartbeat is the last action: the state changes are announced with it.
    if case .sendHeartbeat = actions.last {} else { Issue.record("no heartbeat last: \(actions)") }
  }

  @Test func peerTakesOverOnTheLeavingHeartbeatWithoutATimeout() {
    var pair = Self.runningPair()
    let actions = pair.nodes[0].shutdownRequested(now: pair.now)
    pair.handle(actions, from: 0)  // delivered at the same instant: no time passes
    #expect(pair.state(1, group: 0) == .primary)
    #expect(pair.state(1, group: 1) == .primary)
    let taken = pair.transitions(1).filter { $0.to == .primary && $0.reason == "peer leaving" }
    #expect(taken.map(\.group) == [0, 1])
    #expect(pair.dualPrimaryGroups.isEmpty)
  }

  @Test func aLeavingNodeTakesNothingBackAndThePeerStaysPrimary() {
    var pair = Self.runningPair()
    pair.handle(pair.nodes[0].shutdownRequested(now: pair.now), from: 0)
    pair.run(for: .seconds(5))
    #expect(pair.state(0, group: 0) == .secondary)
    #expect(pair.state(0, group: 1) == .secondary)
    #expect(pair.state(1, group: 0) == .primary)
    // The leaving node's peer dies too: it still takes nothing.
    pair.cut = [.control, .fabric]
    pair.run(for: .seconds(2))
    #expect(pair.state(0, group: 0) == .secondary)
    #expect(pair.nodes[0].leaving)
  }

  /// Without the announcement, the peer waits for the link-failure timeout (the control case).
  @Test func silentStopTakesATimeout() {
    var pair = Self.runningPair()
    pair.cut = [.control, .fabric]
    pair.run(for: .milliseconds(200))
    #expect(pair.state(1, group: 0) != .primary)
    pair.run(for: .milliseconds(300))
    #expect(pair.state(1, group: 0) == .primary)
    #expect(pair.transitions(1).contains { $0.reason == "peer lost" })
  }

  /// A restarted peer (new epoch, not leaving) is a candidate again.
  @Test func restartedPeerIsACandidateAgain() {
    var pair = Self.runningPair()
    pair.handle(pair.nodes[0].shutdownRequested(now: pair.now), from: 0)
    let configuration = pair.nodes[0].configuration
    pair.nodes[0] = ClusterStateMachine(
      configuration: configuration, localNode: 0, bootEpoch: 5000,
      configDigest: ConfigurationDigest.digest(of: configuration))
    pair.handle(pair.nodes[0].start(now: pair.now, interfaces: ["eth1": .up]), from: 0)
    pair.run(for: .seconds(2))
    #expect(pair.state(0, group: 0) == .secondary)
    #expect(pair.state(1, group: 0) == .primary)
    #expect(pair.nodes[1].snapshot(now: pair.now).status.peer == .up)
  }
}
