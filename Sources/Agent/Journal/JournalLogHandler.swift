import CSystemd
import Journal
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A swift-log backend speaking journald's native protocol through `sd_journal_sendv`
/// (DESIGN §8): `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE/LINE/FUNC` from the call
/// site, then the merged metadata as sanitized fields. It never sets `UNIT=`.
///
/// `sd_journal_sendv` returns 0 when the socket does not exist, so the record would vanish:
/// the handler checks for the socket (see `JournalSocketProbe`) and writes the record through
/// `StderrLogHandler` while it is missing, or when sending fails (a stale socket left by a
/// dead journald gives `ECONNREFUSED`).
public struct JournalLogHandler: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  public let label: String
  public let identifier: String
  let probe: JournalSocketProbe
  let fallback: StderrLogHandler

  public init(
    label: String, identifier: String = "ccagentd",
    metadataProvider: Logger.MetadataProvider? = nil,
    probe: JournalSocketProbe = .shared, fallbackFileDescriptor: Int32 = STDERR_FILENO
  ) {
    self.label = label
    self.identifier = identifier
    self.metadataProvider = metadataProvider
    self.probe = probe
    self.fallback = StderrLogHandler(
      label: label, identifier: identifier, fileDescriptor: fallbackFileDescriptor)
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let merged = JournalFields.merge(
      handler: metadata, provider: metadataProvider, call: event.metadata, error: event.error)
    let message = event.message.description
    if probe.isAvailable() {
      let entries = JournalFields.payload(
        JournalFields.recordFields(
          level: event.level, message: message, identifier: identifier, file: event.file,
          line: event.line, function: event.function, metadata: merged))
      let result = JournalFields.withIOVecs(entries) { vecs in
        sd_journal_sendv(vecs.baseAddress, Int32(vecs.count))
      }
      if result >= 0 { return }
      probe.markUnavailable()
    }
    fallback.emit(level: event.level, message: message, metadata: merged)
  }
}

/// Whether journald's native socket is there. Checked when created, then again at most once per
/// `recheckInterval`. Measured here: `access(2)` 0.7–3 µs, a journal record about 24 µs, this
/// cached check about 9 ns (a coarse clock read), so per-record `access` would add 3–12 % for
/// nothing. The price: after the socket disappears, up to one interval of records is lost,
/// because libsystemd reports success for them (it hides `ENOENT` and restores `errno`).
public final class JournalSocketProbe: Sendable {
  public static let defaultPath = "/run/systemd/journal/socket"
  /// One per process for the real socket, shared by every handler.
  public static let shared = JournalSocketProbe()

  public let path: String
  private let intervalNanoseconds: UInt64
  private let available: Atomic<Bool>
  private let nextCheck: Atomic<UInt64>

  public init(
    path: String = JournalSocketProbe.defaultPath, recheckInterval: Duration = .seconds(1)
  ) {
    self.path = path
    let (seconds, attoseconds) = recheckInterval.components
    intervalNanoseconds =
      UInt64(max(0, seconds)) * 1_000_000_000
      + UInt64(max(0, attoseconds) / 1_000_000_000)
    available = Atomic(access(path, F_OK) == 0)
    nextCheck = Atomic(Self.monotonicNanoseconds() &+ intervalNanoseconds)
  }

  /// The cached answer, refreshed when the interval has passed. Races only repeat a check.
  public func isAvailable() -> Bool {
    let now = Self.monotonicNanoseconds()
    if now >= nextCheck.load(ordering: .relaxed) {
      nextCheck.store(now &+ intervalNanoseconds, ordering: .relaxed)
      available.store(access(path, F_OK) == 0, ordering: .relaxed)
    }
    return available.load(ordering: .relaxed)
  }

  /// After a failed send: stay on stderr until the next check.
  func markUnavailable() {
    nextCheck.store(Self.monotonicNanoseconds() &+ intervalNanoseconds, ordering: .relaxed)
    available.store(false, ordering: .relaxed)
  }

  private static func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
  }
}

/// Where `ccagentd` logs.
public enum LogTarget: String, Sendable, CaseIterable {
  /// Native journal protocol; stderr while the socket is missing.
  case journal
  case stderr
  /// `journal` when stderr is already connected to the journal (`JOURNAL_STREAM`, set by
  /// systemd) or is not a terminal; `stderr` when run by hand in a terminal.
  case automatic

  /// `.journal` or `.stderr`.
  public func resolved() -> LogTarget {
    guard self == .automatic else { return self }
    if Self.stderrIsJournalStream() { return .journal }
    return isatty(STDERR_FILENO) == 1 ? .stderr : .journal
  }

  /// `JOURNAL_STREAM` is `device:inode` of the stream systemd connected to stdout/stderr.
  private static func stderrIsJournalStream() -> Bool {
    guard let raw = getenv("JOURNAL_STREAM") else { return false }
    let parts = String(cString: raw).split(separator: ":")
    guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
      return false
    }
    var info = stat()
    guard fstat(STDERR_FILENO, &info) == 0 else { return false }
    return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
  }
}

/// For `LoggingSystem.bootstrap { makeLogHandler(label: $0, target: target) }`.
public func makeLogHandler(label: String, target: LogTarget) -> any LogHandler {
  switch target.resolved() {
  case .stderr: StderrLogHandler(label: label)
  default: JournalLogHandler(label: label)
  }
}

extension JournalFields {
  /// Calls `body` with one `iovec` per entry; the pointers are valid only inside `body`.
  /// The entries are copied into one contiguous buffer first: a nested closure per entry would
  /// be needed otherwise to keep each array's storage pinned.
  public static func withIOVecs<R>(
    _ entries: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) throws -> R
  ) rethrows -> R {
    var buffer: [UInt8] = []
    buffer.reserveCapacity(entries.reduce(0) { $0 + $1.count })
    for entry in entries { buffer.append(contentsOf: entry) }
    return try buffer.withUnsafeMutableBytes { raw in
      try withUnsafeTemporaryAllocation(of: iovec.self, capacity: entries.count) { vecs in
        var offset = 0
        for (i, entry) in entries.enumerated() {
          // An empty buffer has no base address; libsystemd rejects empty entries anyway.
          let base = raw.baseAddress.map { $0 + offset }
          vecs.initializeElement(at: i, to: iovec(iov_base: base, iov_len: entry.count))
          offset += entry.count
        }
        // iovec is trivial: no deinitialization needed.
        return try body(UnsafeBufferPointer(vecs))
      }
    }
  }
}
