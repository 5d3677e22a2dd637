import Journal
import Logging

/// Writes event records to the log from a thread of its own, so a stalled journald (its
/// socket queue full, `sd_journal_sendv` blocking) costs records, never a heartbeat: the
/// driver only appends to a bounded queue. Dropped records are counted and reported once the
/// journal takes records again.
final class RecordWriter: Sendable {
  static let capacity = 4096

  private struct Entry: Sendable {
    let record: EventRecord
    let file: String
    let function: String
    let line: UInt
  }

  private let worker: SerialWorker<Entry>

  init(logger: Logger) throws {
    worker = try SerialWorker(
      name: "ccagent-journal", capacity: Self.capacity,
      handle: { entry in
        logger.logEvent(entry.record, file: entry.file, function: entry.function, line: entry.line)
      },
      reportDropped: { dropped in
        logger.warning(
          "the journal did not take records fast enough; some were dropped",
          metadata: ["DROPPED": "\(dropped)"])
      })
  }

  /// Records dropped since start because the queue was full.
  var droppedRecords: Int { worker.droppedCount }

  func write(
    _ record: EventRecord, file: String = #fileID, function: String = #function,
    line: UInt = #line
  ) {
    worker.submit(Entry(record: record, file: file, function: function, line: line))
  }

  /// Writes what is queued, then ends the thread.
  func stop() { worker.stop() }
}
