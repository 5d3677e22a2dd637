import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Writes one readable line per record to stderr (or another descriptor):
/// `2026-11-21T08:00:00.123Z notice ccagentd: MESSAGE KEY=value KEY2="value with spaces"`.
///
/// Used when journald is not there (containers, tests, a terminal) and as the journal handler's
/// fallback. Every record stays on one line and nothing is lost: control characters and
/// backslashes are escaped, values with spaces, quotes or `=` are quoted. Each line goes out in
/// one `write(2)`, so lines shorter than `PIPE_BUF` never interleave with other writers.
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
    let line = Self.formatLine(
      time: now, level: level, identifier: identifier, message: message,
      fields: JournalFields.fields(from: metadata))
    Self.writeAll(fileDescriptor, line)
  }

  /// The whole line including its `\n`.
  public static func formatLine(
    time: timespec, level: Logger.Level, identifier: String, message: String,
    fields: [(name: String, value: String)]
  ) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(64 + message.utf8.count + fields.count * 24)
    appendTimestamp(time, to: &out)
    out.append(UInt8(ascii: " "))
    out.append(contentsOf: level.rawValue.utf8)
    out.append(UInt8(ascii: " "))
    appendEscaped(identifier.utf8, to: &out)
    out.append(contentsOf: ": ".utf8)
    appendEscaped(message.utf8, to: &out)
    for field in fields {
      out.append(UInt8(ascii: " "))
      out.append(contentsOf: field.name.utf8)
      out.append(UInt8(ascii: "="))
      appendValue(field.value, to: &out)
    }
    out.append(UInt8(ascii: "\n"))
    return out
  }

  /// The message as written: backslash and control characters escaped, never quoted.
  public static func escapeMessage(_ message: String) -> String {
    var out: [UInt8] = []
    appendEscaped(message.utf8, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// A metadata value as written: bare when that is unambiguous, else quoted and escaped.
  public static func formatValue(_ value: String) -> String {
    var out: [UInt8] = []
    appendValue(value, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  // MARK: - Formatting

  private static func needsQuotes(_ value: String) -> Bool {
    if value.isEmpty { return true }
    for byte in value.utf8 {
      switch byte {
      case UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "="), UInt8(ascii: "\\"):
        return true
      case 0..<0x20, 0x7F: return true
      default: continue
      }
    }
    return false
  }

  private static func appendValue(_ value: String, to out: inout [UInt8]) {
    guard needsQuotes(value) else {
      out.append(contentsOf: value.utf8)
      return
    }
    out.append(UInt8(ascii: "\""))
    appendEscaped(value.utf8, quote: true, to: &out)
    out.append(UInt8(ascii: "\""))
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Escapes `\`, control characters and (inside quotes) `"`; UTF-8 above ASCII passes as is.
  private static func appendEscaped(
    _ bytes: String.UTF8View, quote: Bool = false, to out: inout [UInt8]
  ) {
    for byte in bytes {
      switch byte {
      case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
      case UInt8(ascii: "\"") where quote: out.append(contentsOf: #"\""#.utf8)
      case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
      case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
      case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
      case 0..<0x20, 0x7F:
        out.append(contentsOf: #"\x"#.utf8)
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0xF)])
      default: out.append(byte)
      }
    }
  }

  /// `2026-11-21T08:00:00.123Z`.
  private static func appendTimestamp(_ time: timespec, to out: inout [UInt8]) {
    var seconds = time_t(time.tv_sec)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func digits(_ value: Int, _ width: Int) {
      var text = Array(String(value).utf8)
      if text.count < width {
        text.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - text.count), at: 0)
      }
      out.append(contentsOf: text)
    }
    digits(Int(parts.tm_year) + 1900, 4)
    out.append(UInt8(ascii: "-"))
    digits(Int(parts.tm_mon) + 1, 2)
    out.append(UInt8(ascii: "-"))
    digits(Int(parts.tm_mday), 2)
    out.append(UInt8(ascii: "T"))
    digits(Int(parts.tm_hour), 2)
    out.append(UInt8(ascii: ":"))
    digits(Int(parts.tm_min), 2)
    out.append(UInt8(ascii: ":"))
    digits(Int(parts.tm_sec), 2)
    out.append(UInt8(ascii: "."))
    digits(Int(time.tv_nsec) / 1_000_000, 3)
    out.append(UInt8(ascii: "Z"))
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

extension JournalFields {
  /// Handler metadata, then the provider's, then the call's, later ones winning (swift-log's
  /// documented order). A swift-log `error:` becomes `SWIFT_ERROR`.
  public static func merge(
    handler: Logger.Metadata, provider: Logger.MetadataProvider?, call: Logger.Metadata?,
    error: (any Error)? = nil
  ) -> Logger.Metadata {
    var merged = handler
    if let provided = provider?.get(), !provided.isEmpty {
      merged.merge(provided) { _, new in new }
    }
    if let call, !call.isEmpty {
      merged.merge(call) { _, new in new }
    }
    if let error { merged["SWIFT_ERROR"] = .string(String(describing: error)) }
    return merged
  }

  /// Metadata as fields: names sanitized (keys that sanitize to nothing are dropped), sorted so
  /// records read the same every time.
  public static func fields(from metadata: Logger.Metadata) -> [(name: String, value: String)] {
    var fields: [(name: String, value: String, key: String)] = []
    fields.reserveCapacity(metadata.count)
    for (key, value) in metadata {
      guard let name = metadataFieldName(key) else { continue }
      fields.append((name, render(value), key))
    }
    fields.sort { ($0.name, $0.key) < ($1.name, $1.key) }
    return fields.map { ($0.name, $0.value) }
  }

  /// `.string` as is; anything else as swift-log prints it.
  static func render(_ value: Logger.Metadata.Value) -> String {
    switch value {
    case .string(let s): s
    case .stringConvertible(let c): c.description
    default: value.description
    }
  }
}
