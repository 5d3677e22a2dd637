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
}
