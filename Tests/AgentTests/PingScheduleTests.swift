import Cluster
import Testing

@testable import Agent

@Suite struct PingScheduleTests {
  private static let start = ContinuousClock.now

  private func at(_ milliseconds: Int) -> ContinuousClock.Instant {
    Self.start.advanced(by: .milliseconds(milliseconds))
  }

  private func target(_ address: String, _ milliseconds: Int, source: String? = nil) -> PingTarget {
    PingTarget(address: address, sourceAddress: source, interval: .milliseconds(milliseconds))
  }

  private func request(_ address: String, _ sequence: UInt16) -> EchoRequest {
    EchoRequest(
      destination: try! ICMPEchoSocket.address(address), sequence: sequence,
      token: Array(repeating: UInt8(sequence), count: ICMPEchoSocket.tokenLength))
  }

  private func reply(to request: EchoRequest, from address: String? = nil) -> EchoReply {
    EchoReply(
      source: address.map { try! ICMPEchoSocket.address($0) } ?? request.destination,
      sequence: request.sequence, token: request.token)
  }

  @Test func newTargetsAreDueAtOnceThenEveryInterval() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.2", 1000), target("10.0.0.1", 500)], now: at(0))
    #expect(schedule.due(now: at(0)).map(\.target.address) == ["10.0.0.1", "10.0.0.2"])
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(0))
    _ = schedule.sent("10.0.0.2", request: request("10.0.0.2", 2), now: at(0))
    #expect(schedule.due(now: at(499)).isEmpty)
    #expect(schedule.nextWake == at(500))
    // No reply to 10.0.0.1 by its next request: a failure, then the next request.
    #expect(schedule.expire(now: at(500)) == ["10.0.0.1"])
    #expect(schedule.due(now: at(500)).map(\.target.address) == ["10.0.0.1"])
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 3), now: at(500))
    // 10.0.0.2 answers: a success, and only once.
    #expect(schedule.received(reply(to: request("10.0.0.2", 2))) == "10.0.0.2")
    #expect(schedule.received(reply(to: request("10.0.0.2", 2))) == nil)
    #expect(schedule.expire(now: at(1000)) == ["10.0.0.1"])
    #expect(schedule.due(now: at(1000)).map(\.target.address) == ["10.0.0.1", "10.0.0.2"])
  }

  @Test func repliesMustMatchAddressSequenceAndToken() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 1000)], now: at(0))
    let sent = request("10.0.0.1", 7)
    _ = schedule.sent("10.0.0.1", request: sent, now: at(0))
    #expect(schedule.received(reply(to: sent, from: "10.0.0.9")) == nil)
    #expect(schedule.received(reply(to: request("10.0.0.1", 6))) == nil)
    var forged = reply(to: sent)
    forged.token[0] ^= 1
    #expect(schedule.received(forged) == nil)
    #expect(schedule.received(reply(to: sent)) == "10.0.0.1")
  }

  @Test func lateThreadDoesNotBurst() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 100)], now: at(0))
    _ = schedule.sent("10.0.0.1", request: nil, now: at(0))
    // The thread comes back 1 s late: one request now, the next an interval after it.
    #expect(schedule.due(now: at(1000)).count == 1)
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(1000))
    #expect(schedule.due(now: at(1099)).isEmpty)
    #expect(schedule.nextWake == at(1100))
  }

  @Test func lateSendStillReportsEveryFailure() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 200)], now: at(0))
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(0))
    // The thread wakes 5 ms late: the failure first, then a request whose reply is due by the
    // next regular request (400), not 200 ms after this late one.
    #expect(schedule.expire(now: at(205)) == ["10.0.0.1"])
    let supersededLate = schedule.sent("10.0.0.1", request: request("10.0.0.1", 2), now: at(205))
    #expect(!supersededLate)
    #expect(schedule.nextWake == at(400))
    #expect(schedule.expire(now: at(400)) == ["10.0.0.1"])
    // A request superseded before it expired is reported by `sent`.
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 3), now: at(400))
    let superseded = schedule.sent("10.0.0.1", request: request("10.0.0.1", 4), now: at(401))
    #expect(superseded)
  }

  @Test func updateKeepsRhythmAndForgetsRemovedAddresses() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 1000), target("10.0.0.2", 1000)], now: at(0))
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(0))
    _ = schedule.sent("10.0.0.2", request: request("10.0.0.2", 2), now: at(0))
    schedule.update([target("10.0.0.1", 1000), target("10.0.0.3", 1000)], now: at(300))
    #expect(schedule.due(now: at(300)).map(\.target.address) == ["10.0.0.3"])
    #expect(schedule.received(reply(to: request("10.0.0.2", 2))) == nil)
    #expect(schedule.received(reply(to: request("10.0.0.1", 1))) == "10.0.0.1")
    #expect(PingSchedule().nextWake == nil)
  }
}
