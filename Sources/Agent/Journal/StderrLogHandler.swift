import Journal
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Writes one readable line per record (`StderrLine`) to stderr (or another descriptor).
///
/// Used when journald is not there (containers, tests, a terminal) and as the journal handler's
/// fallback. Each line goes out in one `write(2)`, so lines shorter than `PIPE_BUF` never
/// interleave with other writers.
public struct StderrLogHandler: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  public let label: String
  public let identifier: String
  public let fileDescriptor: Int32

  public init(
    label: String, identifier: String = "ccagentd", fileDescriptor: Int32 = STDERR_FILENO,
    metadataProvider: Logger.MetadataProvider? = nil
  ) {
    self.label = label
    self.identifier = identifier
    self.fileDescriptor = fileDescriptor
    self.metadataProvider = metadataProvider
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let merged = JournalFields.merge(
      handler: metadata, provider: metadataProvider, call: event.metadata, error: event.error)
    emit(level: event.level, message: event.message.description, metadata: merged)
  }

  /// Writes a record whose metadata is already merged (the journal handler's fallback path).
  func emit(level: Logger.Level, message: String, metadata: Logger.Metadata) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let line = StderrLine.format(
      time: now, level: level, identifier: identifier, message: message,
      fields: JournalFields.fields(from: metadata))
    Self.writeAll(fileDescriptor, line)
  }

  /// One `write(2)` in the normal case; the loop only covers `EINTR` and short writes (lines
  /// beyond `PIPE_BUF`, full pipes), which would otherwise cut the record.
  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
      guard var next = raw.baseAddress else { return }
      var left = raw.count
      while left > 0 {
        let n = write(fd, next, left)
        if n > 0 {
          next += n
          left -= n
        } else if n < 0 && errno == EINTR {
          continue
        } else {
          return  // Nowhere left to report it.
        }
      }
    }
  }
}
