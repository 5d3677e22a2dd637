import Journal
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Reverses `StderrLine`'s escaping of a value (quoted or bare).
private func unquote(_ text: Substring) -> String {
  guard text.first == "\"" else { return String(text) }  // Bare values hold no escapes.
  return unescape(text.dropFirst().dropLast())
}

/// Reverses the escaping inside quotes and in the message.
private func unescape(_ text: Substring) -> String {
  var out: [UInt8] = []
  var bytes = Array(text.utf8)[...]
  while let b = bytes.popFirst() {
    guard b == UInt8(ascii: "\\"), let e = bytes.popFirst() else {
      out.append(b)
      continue
    }
    switch e {
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "x"):
      let hex = String(decoding: bytes.prefix(2), as: UTF8.self)
      out.append(UInt8(hex, radix: 16)!)
      bytes = bytes.dropFirst(2)
    default: out.append(e)  // \\ and \"
    }
  }
  return String(decoding: out, as: UTF8.self)
}

/// Splits ` NAME=value NAME="quoted value"` into pairs, values unescaped.
private func parseFields(_ text: Substring) -> [(String, String)] {
  var result: [(String, String)] = []
  var rest = text
  while !rest.isEmpty {
    rest = rest.drop { $0 == " " }
    guard let eq = rest.firstIndex(of: "=") else { break }
    let name = String(rest[..<eq])
    rest = rest[rest.index(after: eq)...]
    var end = rest.startIndex
    if rest.first == "\"" {
      var escaped = false
      end = rest.index(after: end)
      while end < rest.endIndex {
        let c = rest[end]
        end = rest.index(after: end)
        if escaped {
          escaped = false
        } else if c == "\\" {
          escaped = true
        } else if c == "\"" {
          break
        }
      }
    } else {
      end = rest.firstIndex(of: " ") ?? rest.endIndex
    }
    result.append((name, unquote(rest[..<end])))
    rest = rest[end...]
  }
  return result
}

@Suite struct StderrLineTests {
  static let tricky = [
    "plain", "with space", "a=b", "quote\"d", #"back\slash"#, "multi\nline\r\n", "tab\there",
    "", "\u{7}bell\u{7F}", "ünïcödé ✓", "trailing ", "\"", "\\n literally",
  ]

  @Test(arguments: StderrLineTests.tricky)
  func valuesRoundTripOnOneLine(value: String) {
    let formatted = StderrLine.formatValue(value)
    #expect(!formatted.utf8.contains(0x0A) && !formatted.utf8.contains(0x0D))
    #expect(!formatted.contains(" ") || formatted.hasPrefix("\""))
    #expect(unquote(formatted[...]) == value)
    let message = StderrLine.escapeMessage(value)
    #expect(!message.utf8.contains(0x0A) && !message.utf8.contains(0x0D))
    #expect(unescape(message[...]) == value)
  }

  @Test func lineHasTheDocumentedShape() {
    let line = StderrLine.format(
      time: timespec(tv_sec: 1_795_248_000, tv_nsec: 123_456_789), level: .notice,
      identifier: "ccagentd", message: "rg1 primary -> secondary-hold",
      fields: [("KEY", "value"), ("KEY2", "value with spaces")])
    #expect(
      String(decoding: line, as: UTF8.self)
        == "2026-11-21T08:00:00.123Z notice ccagentd: rg1 primary -> secondary-hold "
        + "KEY=value KEY2=\"value with spaces\"\n")
  }

  @Test func wholeLineRoundTrips() {
    let fields = Self.tricky.enumerated().map { ("F\($0.offset)", $0.element) }
    let message = "two\nlines and a \\ backslash"
    let line = String(
      decoding: StderrLine.format(
        time: timespec(tv_sec: 0, tv_nsec: 0), level: .error, identifier: "ccagentd",
        message: message, fields: fields), as: UTF8.self)
    #expect(line.utf8.filter { $0 == 0x0A }.count == 1 && line.hasSuffix("\n"))
    let body = line.dropLast()
    let prefix = "1970-01-01T00:00:00.000Z error ccagentd: "
    #expect(body.hasPrefix(prefix))
    let afterPrefix = body.dropFirst(prefix.count)
    let split = afterPrefix.firstRange(of: " F0=")!
    #expect(unescape(afterPrefix[..<split.lowerBound]) == message)
    let parsed = parseFields(afterPrefix[split.lowerBound...])
    #expect(parsed.map(\.0) == fields.map(\.0))
    #expect(parsed.map(\.1) == fields.map(\.1))
  }
}
