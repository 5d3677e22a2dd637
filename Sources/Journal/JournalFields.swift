import Logging

/// Journal field names and the native protocol payload (DESIGN §8).
public enum JournalFields {
  /// journald's limit; longer names are dropped, so we cut them.
  public static let maxNameLength = 64

  /// Fields the handlers own. A metadata key that maps to one of them gets `META_` in front so it
  /// cannot override (or duplicate) them; `UNIT`/`USER_UNIT` would make journald attribute the
  /// record to another unit, and `SYSLOG_*` change how it is forwarded.
  public static let reservedNames: Set<String> = [
    "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
    "SYSLOG_TIMESTAMP", "SYSLOG_RAW", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "UNIT", "USER_UNIT",
    "OBJECT_PID",
  ]

  /// A valid journal field name for `key`, or `nil` when nothing is left of it.
  ///
  /// journald silently drops fields whose names are not `[A-Z0-9_]{1,64}`, start with `_` (those
  /// are trusted fields) or start with a digit, so every metadata key goes through here:
  /// `rg-id` → `RG_ID`, `_x` → `X`, `9a` → `F_9A`.
  public static func sanitize(_ key: String) -> String? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(min(key.utf8.count, maxNameLength + 2))
    // Per Unicode scalar, so `é` becomes one `_`, not one per UTF-8 byte.
    for scalar in key.unicodeScalars {
      let v = scalar.value
      switch v {
      case 0x41...0x5A, 0x30...0x39, 0x5F: bytes.append(UInt8(v))
      case 0x61...0x7A: bytes.append(UInt8(v - 0x20))
      default: bytes.append(UInt8(ascii: "_"))
      }
    }
    let start = bytes.firstIndex { $0 != UInt8(ascii: "_") } ?? bytes.endIndex
    var name = Array(bytes[start...])
    guard let first = name.first else { return nil }
    if (0x30...0x39).contains(first) { name.insert(contentsOf: Array("F_".utf8), at: 0) }
    if name.count > maxNameLength { name.removeLast(name.count - maxNameLength) }
    return String(decoding: name, as: UTF8.self)
  }

  /// The field name a metadata key is written under, by both handlers.
  public static func metadataFieldName(_ key: String) -> String? {
    guard let name = sanitize(key) else { return nil }
    guard reservedNames.contains(name) else { return name }
    return "META_" + name
  }

  /// `true` when journald accepts `name` as it is.
  public static func isValidName(_ name: String) -> Bool {
    sanitize(name) == name
  }

  /// One `NAME=value` entry per field, in order. Values are raw bytes: newlines, `=`, NULs and
  /// invalid UTF-8 pass unchanged. libsystemd's `sd_journal_sendv` switches a field with a
  /// newline to the protocol's length-prefixed form itself, so no escaping happens here.
  public static func payload(_ fields: [JournalField]) -> [[UInt8]] {
    fields.map { field in
      var entry: [UInt8] = []
      entry.reserveCapacity(field.name.utf8.count + 1 + field.value.count)
      entry.append(contentsOf: field.name.utf8)
      entry.append(UInt8(ascii: "="))
      entry.append(contentsOf: field.value)
      return entry
    }
  }
}

/// One journal field whose name is already valid.
public struct JournalField: Sendable, Equatable {
  public let name: String
  public var value: [UInt8]

  /// `nil` when `key` sanitizes to nothing (the field is dropped).
  public init?(key: String, value: [UInt8]) {
    guard let name = JournalFields.sanitize(key) else { return nil }
    self.name = name
    self.value = value
  }

  public init?(key: String, value: String) {
    self.init(key: key, value: Array(value.utf8))
  }

  /// For names known to be valid (the handler's own fields).
  init(validName: String, value: String) {
    self.name = validName
    self.value = Array(value.utf8)
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

extension JournalFields {
  /// A journal record's fields in the order `JournalLogHandler` sends them: its own fields
  /// from the call site, then the merged metadata, sanitized.
  public static func recordFields(
    level: Logger.Level, message: String, identifier: String, file: String, line: UInt,
    function: String, metadata: Logger.Metadata
  ) -> [JournalField] {
    var fields = [
      JournalField(validName: "MESSAGE", value: message),
      JournalField(validName: "PRIORITY", value: String(syslogPriority(level))),
      JournalField(validName: "SYSLOG_IDENTIFIER", value: identifier),
      JournalField(validName: "CODE_FILE", value: file),
      JournalField(validName: "CODE_LINE", value: String(line)),
      JournalField(validName: "CODE_FUNC", value: function),
    ]
    for (name, value) in JournalFields.fields(from: metadata) {
      fields.append(JournalField(validName: name, value: value))
    }
    return fields
  }

  /// swift-log levels onto syslog priorities (trace has none of its own).
  public static func syslogPriority(_ level: Logger.Level) -> Int {
    switch level {
    case .trace, .debug: 7
    case .info: 6
    case .notice: 5
    case .warning: 4
    case .error: 3
    case .critical: 2
    }
  }
}
