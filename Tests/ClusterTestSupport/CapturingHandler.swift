import Dispatch
import Logging
import Synchronization

/// Every record logged through a `CapturingHandler`, for tests that check what was logged.
public final class CapturedRecords: Sendable {
  private let storage = Mutex<[LogEvent]>([])
  public init() {}
  public var events: [LogEvent] { storage.withLock { $0 } }
  public func append(_ event: LogEvent) { storage.withLock { $0.append(event) } }
}

/// A swift-log handler that keeps every record in memory.
public struct CapturingHandler: LogHandler {
  public let store: CapturedRecords
  /// A journal that takes nothing until released (`sd_journal_sendv` blocked on a stopped
  /// journald looks like this to the agent): each record waits for the gate.
  public var gate: DispatchSemaphore?
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .trace
  public init(store: CapturedRecords, gate: DispatchSemaphore? = nil) {
    self.store = store
    self.gate = gate
  }
  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }
  public func log(event: LogEvent) {
    if let gate {
      gate.wait()
      gate.signal()
    }
    store.append(event)
  }
}
