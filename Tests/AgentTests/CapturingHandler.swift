import Dispatch
import Logging
import Synchronization

/// Every record logged through a `CapturingHandler`, for tests that check what was logged.
final class CapturedRecords: Sendable {
  private let storage = Mutex<[LogEvent]>([])
  var events: [LogEvent] { storage.withLock { $0 } }
  func append(_ event: LogEvent) { storage.withLock { $0.append(event) } }
}

struct CapturingHandler: LogHandler {
  let store: CapturedRecords
  /// A journal that takes nothing until released (`sd_journal_sendv` blocked on a stopped
  /// journald looks like this to the agent): each record waits for the gate.
  var gate: DispatchSemaphore? = nil
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }
  func log(event: LogEvent) {
    if let gate {
      gate.wait()
      gate.signal()
    }
    store.append(event)
  }
}
