import ClusterTestSupport
import Testing

@testable import Journal

private let context = sampleEventContext

@Suite struct RateLimiterTests {
  /// All instants derive from one clock reading, so the tests are deterministic.
  static let origin = ContinuousClock.now
  func at(_ ms: Int64) -> ContinuousClock.Instant { Self.origin + .milliseconds(ms) }

  @Test func allowsFivePerWindowThenSummarizes() {
    var limiter = RateLimiter<ContinuousClock.Instant>()
    let first = (0..<8).map { limiter.admit(key: "auth:10.0.0.2", now: at(Int64($0) * 100)) }
    #expect(first.map(\.allowed) == [true, true, true, true, true, false, false, false])
    #expect(first.allSatisfy { $0.summary == nil })
    // Other keys have their own budget.
    #expect(limiter.admit(key: "auth:10.0.0.3", now: at(900)).allowed)
    // The next record after the window closes gets the summary.
    let next = limiter.admit(key: "auth:10.0.0.2", now: at(10_000))
    #expect(next.allowed)
    #expect(
      next.summary
        == .init(key: "auth:10.0.0.2", suppressed: 3, windowStart: at(0), window: .seconds(10)))
    #expect(limiter.admit(key: "auth:10.0.0.2", now: at(20_000)).summary == nil)
  }

  @Test func expireReportsBurstsThatStopped() {
    var limiter = RateLimiter<ContinuousClock.Instant>(limit: 2, window: .seconds(1))
    for i in 0..<5 { _ = limiter.admit(key: "a", now: at(Int64(i))) }
    _ = limiter.admit(key: "b", now: at(500))
    #expect(limiter.nextExpiry == at(1000))
    #expect(limiter.expire(now: at(999)).isEmpty)
    let summaries = limiter.expire(now: at(1000))
    #expect(summaries.map(\.key) == ["a"] && summaries.first?.suppressed == 3)
    #expect(limiter.keyCount == 1)
    #expect(limiter.expire(now: at(1500)).isEmpty)
    #expect(limiter.keyCount == 0 && limiter.nextExpiry == nil)
  }

  @Test func tableIsBounded() {
    var limiter = RateLimiter<ContinuousClock.Instant>(
      limit: 1, window: .seconds(10), maxKeys: 3)
    for i in 0..<100 { _ = limiter.admit(key: "k\(i)", now: at(Int64(i))) }
    #expect(limiter.keyCount == 4)  // three keys plus the shared overflow bucket
    let summaries = limiter.expire(now: at(20_000))
    #expect(summaries.map(\.key) == [RateLimiter<ContinuousClock.Instant>.overflowKey])
    #expect(summaries.first?.suppressed == 96)
  }

  @Test func summaryBecomesARecord() {
    let summary = RateLimiter<ContinuousClock.Instant>.Summary(
      key: "auth:10.0.0.2", suppressed: 12, windowStart: at(0), window: .milliseconds(2500))
    let record = EventCatalog.messagesSuppressed(
      summary, kind: .authenticationFailure, context: context)
    #expect(record[field: "SUPPRESSED_KIND"] == "authentication-failure")
    #expect(record[field: "SUPPRESSED_KEY"] == "auth:10.0.0.2")
    #expect(record[field: "SUPPRESSED_COUNT"] == "12")
    #expect(record[field: "INTERVAL_S"] == "2.500")
    #expect(
      record.message == "suppressed 12 authentication-failure messages for auth:10.0.0.2 "
        + "within 2.500 s")
  }
}
