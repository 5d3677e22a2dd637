import Cluster
import Testing

@Suite("A node back from ineligible rejoins without taking an RG its peer is taking")
struct RejoinTests {
  @Test func aControlHeartbeatLateByMillisecondsMakesNoDualPrimary() throws {
    // Found by the soak (seed 2): node1, RG0 secondary and RG1 primary, times the control link
    // out and goes ineligible, giving RG1 up; the control heartbeat it missed arrives a few ms
    // later (delayed), so it is back at once. Its "ineligible" is still in flight to node0,
    // which takes RG1 on it. Node1 must not take RG1 back meanwhile: node0 is taking it.
    var pair = MachinePair(
      configuration: pairConfiguration().replacingPriority(group: 1, node0: 100, node1: 150))
    pair.start()
    pair.run(for: .seconds(5), step: .milliseconds(10))
    try #require(pair.state(1, group: 1) == .primary)
    try #require(pair.state(0, group: 1) == .secondary)
    pair.cut = [.control]
    pair.run(for: .milliseconds(250), step: .milliseconds(10))
    pair.held = [1]  // what node1 sends from now on is still on its way
    for _ in 0..<30 where pair.state(1, group: 1) != .ineligible {
      pair.run(for: .milliseconds(10), step: .milliseconds(10))
    }
    try #require(pair.state(1, group: 1) == .ineligible)
    // node0's last heartbeat, its control copy arriving late: the control link is back.
    var late = try #require(pair.sent[0].last)
    late.link = .control
    pair.inject(late, to: 1)
    #expect(pair.state(1, group: 1) != .primary)
    pair.cut = []
    pair.release(from: 1)
    #expect(pair.dualPrimaryGroups.isEmpty)
    pair.run(for: .seconds(3), step: .milliseconds(10))
    let splitBrains = pair.emitted.flatMap { $0 }.filter {
      if case .splitBrainDetected = $0 { return true }
      return false
    }
    #expect(splitBrains.isEmpty)
    #expect(pair.state(0, group: 1) == .primary)
    #expect(pair.state(1, group: 1) == .secondary)
    #expect(
      pair.transitions(1).filter { $0.group == 1 }.map { "\($0.from) -> \($0.to)" }.suffix(3) == [
        "primary -> ineligible", "ineligible -> secondary-hold", "secondary-hold -> secondary",
      ])
  }

  @Test func aRejoiningNodeWaitsForAFreshViewBeforeTakingOnPriority() throws {
    // Found by the soak (seed 2): node0 has just given RG1 up on preempt (secondary-hold) and
    // node1 took it. Node1 goes ineligible and node0 takes RG1 on that; node1 is back a few ms
    // later, while node0's "primary" is still on its way. Its last view of node0 says
    // secondary-hold, level with its own, so on priority alone it would take RG1 back: both
    // primary. A node that rejoins acts on no election until the peer answers its new nonce.
    var pair = MachinePair(
      configuration: pairConfiguration("set chassis cluster redundancy-group 1 preempt")
        .replacingPriority(group: 1, node0: 100, node1: 150))
    pair.stopped = [1]
    pair.start()
    pair.run(for: .seconds(5), step: .milliseconds(10))
    try #require(pair.state(0, group: 1) == .primary)
    pair.stopped = []
    pair.restart(1, epoch: 2000)
    for _ in 0..<200 where pair.state(1, group: 1) != .primary {
      pair.run(for: .milliseconds(10), step: .milliseconds(10))
    }
    try #require(pair.state(1, group: 1) == .primary)
    try #require(pair.state(0, group: 1) == .secondaryHold)
    pair.cut = [.control]
    pair.run(for: .milliseconds(250), step: .milliseconds(10))
    pair.held = [1]  // node1's "ineligible" is on its way
    for _ in 0..<30 where pair.state(1, group: 1) != .ineligible {
      pair.run(for: .milliseconds(10), step: .milliseconds(10))
    }
    try #require(pair.state(1, group: 1) == .ineligible)
    let late = try #require(pair.sent[0].last)  // node0 in secondary-hold, before it takes RG1
    pair.held = [0, 1]
    pair.release(from: 1)  // node0 takes RG1 on "ineligible"; its "primary" is on its way
    try #require(pair.state(0, group: 1) == .primary)
    var copy = late
    copy.link = .control  // the control copy of node0's heartbeat, late: the link is back
    pair.inject(copy, to: 1)
    #expect(pair.state(1, group: 1) != .primary)
    pair.cut = []
    pair.release(from: 0)
    #expect(pair.dualPrimaryGroups.isEmpty)
    for _ in 0..<300 {
      pair.run(for: .milliseconds(10), step: .milliseconds(10))
      #expect(pair.dualPrimaryGroups.isEmpty)
    }
    let splitBrains = pair.emitted.flatMap { $0 }.filter {
      if case .splitBrainDetected = $0 { return true }
      return false
    }
    #expect(splitBrains.isEmpty)
  }
}
