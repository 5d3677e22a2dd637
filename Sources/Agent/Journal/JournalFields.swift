#if canImport(Glibc)
  import Glibc
#endif

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
