import ClusterTestSupport
import Dispatch
import Journal
import Logging
import Synchronization
import Testing

@testable import Agent

@Suite struct RecordWriterTests {
  private func record(_ n: Int) -> EventRecord {
    EventRecord(kind: .configLoaded, message: "record \(n)", fields: [])
  }

  @Test func recordsKeepTheirOrder() throws {
    let store = CapturedRecords()
    let writer = try RecordWriter(
      logger: Logger(label: "test") { _ in CapturingHandler(store: store) })
    for n in 0..<1000 { writer.write(record(n)) }
    writer.stop()
    #expect(store.events.map { "\($0.message)" } == (0..<1000).map { "record \($0)" })
    #expect(writer.droppedRecords == 0)
  }

  /// The writer never blocks its caller: with the journal stalled, writes beyond the queue's
  /// capacity return at once and are counted, and the count is reported when it drains. (The
  /// batch the thread took before it stalled is in flight: at most twice the capacity is held.)
  @Test func aStalledJournalCostsRecordsNeverTheCaller() throws {
    let store = CapturedRecords()
    let gate = DispatchSemaphore(value: 0)
    let writer = try RecordWriter(
      logger: Logger(label: "test") { _ in CapturingHandler(store: store, gate: gate) })
    let total = RecordWriter.capacity * 3
    let started = ContinuousClock.now
    for n in 0..<total { writer.write(record(n)) }
    let spent = ContinuousClock.now - started
    #expect(spent < .seconds(5))
    let dropped = writer.droppedRecords
    #expect(dropped >= total - 2 * RecordWriter.capacity)
    gate.signal()
    writer.stop()
    let messages = store.events.map { "\($0.message)" }
    #expect(messages.filter { $0.hasPrefix("record ") }.count == total - dropped)
    #expect(messages.contains { $0.contains("some were dropped") })
  }
}
