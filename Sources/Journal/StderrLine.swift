import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The stderr line of one record (`StderrLogHandler` writes it):
/// `2026-11-21T08:00:00.123Z notice ccagentd: MESSAGE KEY=value KEY2="value with spaces"`.
///
/// Every record stays on one line and nothing is lost: control characters and backslashes are
/// escaped, values with spaces, quotes or `=` are quoted.
public enum StderrLine {
  /// The whole line including its `\n`.
  public static func format(
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
}
