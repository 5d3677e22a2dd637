import ClusterTestSupport
import Journal
import Testing

private let context = sampleEventContext

@Suite struct RecordRateLimiterTests {
  /// All instants derive from one clock reading, so the tests are deterministic.
  static let origin = ContinuousClock.now
  func at(_ ms: Int64) -> ContinuousClock.Instant { Self.origin + .milliseconds(ms) }

  func rejection(_ source: String) -> EventRecord {
    EventCatalog.authenticationFailure(
      source: source, link: "control", reason: "bad MAC", context: context)
  }

  @Test func suppressedRecordsAreCountedAndSummarisedByTheNextOne() {
    var limiter = RecordRateLimiter<ContinuousClock.Instant>(limit: 2, window: .seconds(1))
    let burst = (0..<5).map {
      limiter.admit(
        rejection("10.0.0.2"), key: "auth:10.0.0.2", now: at(Int64($0)),
        context: context)
    }
    #expect(burst.map(\.count) == [1, 1, 0, 0, 0])
    #expect(burst.joined().allSatisfy { $0.kind == .authenticationFailure })
    let next = limiter.admit(
      rejection("10.0.0.2"), key: "auth:10.0.0.2", now: at(1000), context: context)
    #expect(next.map(\.kind) == [.authenticationFailure, .messagesSuppressed])
    #expect(next.last?[field: "SUPPRESSED_COUNT"] == "3")
    #expect(next.last?[field: "SUPPRESSED_KIND"] == "authentication-failure")
  }

  /// Issue 13 item 15: a burst that stops still gets its summary when its window closes.
  @Test func flushSummarisesABurstThatStopped() {
    var limiter = RecordRateLimiter<ContinuousClock.Instant>(limit: 2, window: .seconds(1))
    for i in 0..<5 {
      _ = limiter.admit(
        rejection("10.0.0.2"), key: "auth:10.0.0.2", now: at(Int64(i)),
        context: context)
    }
    _ = limiter.admit(
      rejection("10.0.0.3"), key: "auth:10.0.0.3", now: at(500), context: context)
    #expect(limiter.nextFlush == at(1000))
    #expect(limiter.flush(now: at(999), context: context).isEmpty)
    let summaries = limiter.flush(now: at(1000), context: context)
    #expect(summaries.map(\.kind) == [.messagesSuppressed])
    #expect(summaries.first?[field: "SUPPRESSED_KEY"] == "auth:10.0.0.2")
    #expect(summaries.first?[field: "SUPPRESSED_COUNT"] == "3")
    #expect(summaries.first?[field: "SUPPRESSED_KIND"] == "authentication-failure")
    // 10.0.0.3 suppressed nothing: its window closes without a summary.
    #expect(limiter.nextFlush == at(1500))
    #expect(limiter.flush(now: at(1500), context: context).isEmpty)
    #expect(limiter.nextFlush == nil)
    // Flushed windows are closed: the next record starts afresh and is not summarised again.
    let again = limiter.admit(
      rejection("10.0.0.2"), key: "auth:10.0.0.2", now: at(1600), context: context)
    #expect(again.map(\.kind) == [.authenticationFailure])
  }

  @Test func overflowSummaryKeepsTheSuppressedKind() {
    var limiter = RecordRateLimiter<ContinuousClock.Instant>(
      limit: 1, window: .seconds(10), maxKeys: 1)
    for i in 0..<4 {
      _ = limiter.admit(
        rejection("10.0.0.\(i)"), key: "auth:10.0.0.\(i)", now: at(Int64(i)),
        context: context)
    }
    let summaries = limiter.flush(now: at(20_000), context: context)
    #expect(
      summaries.map { $0[field: "SUPPRESSED_KEY"] } == [
        RateLimiter<ContinuousClock.Instant>.overflowKey
      ])
    #expect(summaries.first?[field: "SUPPRESSED_COUNT"] == "2")
    #expect(summaries.first?[field: "SUPPRESSED_KIND"] == "authentication-failure")
  }
}
