/// An error at one column of the current line.
public struct StatementError: Error, Sendable, Equatable {
  public var column: Int
  public var message: String
  public init(column: Int, message: String) {
    self.column = column
    self.message = message
  }
}

/// Walks the words of one statement, turning each expectation into a precise error.
/// Shared by the configuration parser and the simulation scenario parser.
public struct StatementCursor: Sendable {
  public let tokens: [Token]
  public let line: Int
  /// The column just past the line's end, for "missing value" errors.
  public let endColumn: Int
  private var index = 0

  public init(tokens: [Token], line: Int, endColumn: Int) {
    self.tokens = tokens
    self.line = line
    self.endColumn = endColumn
  }

  public var peek: Token? { index < tokens.count ? tokens[index] : nil }
  public var isAtEnd: Bool { index >= tokens.count }

  public mutating func advance() { index += 1 }
  public mutating func skipRest() { index = tokens.count }

  public mutating func word(_ expected: String) throws(StatementError) -> Token {
    guard let token = peek else {
      throw StatementError(column: endColumn, message: "expected \(expected)")
    }
    index += 1
    return token
  }

  public mutating func keyword(_ keyword: String) throws(StatementError) {
    let token = try word("'\(keyword)'")
    guard token.text == keyword else {
      throw StatementError(
        column: token.column, message: "expected '\(keyword)', got '\(token.text)'")
    }
  }

  public mutating func integer(_ name: String, _ range: ClosedRange<Int>) throws(StatementError)
    -> Int
  {
    let token = try word("\(name) value (\(range.lowerBound)..\(range.upperBound))")
    guard let value = Int(token.text) else {
      throw StatementError(
        column: token.column, message: "\(name) must be a number, got '\(token.text)'")
    }
    guard range.contains(value) else {
      throw StatementError(
        column: token.column,
        message: "\(name) \(value) is out of range \(range.lowerBound)..\(range.upperBound)")
    }
    return value
  }

  public mutating func path(_ name: String) throws(StatementError) -> String {
    let token = try word("a path for \(name)")
    guard token.text.hasPrefix("/") else {
      throw StatementError(
        column: token.column, message: "\(name) must be an absolute path, got '\(token.text)'")
    }
    return token.text
  }

  public mutating func address(_ name: String, family: String? = nil) throws(StatementError)
    -> String
  {
    let token = try word("an IP address for \(name)")
    let isV4 = IPAddressSyntax.isIPv4(token.text)
    let isV6 = IPAddressSyntax.isIPv6(token.text)
    switch family {
    case "inet" where !isV4:
      throw StatementError(
        column: token.column, message: "\(name) '\(token.text)' is not an IPv4 address")
    case "inet6" where !isV6:
      throw StatementError(
        column: token.column, message: "\(name) '\(token.text)' is not an IPv6 address")
    case nil where !isV4 && !isV6:
      throw StatementError(
        column: token.column, message: "\(name) '\(token.text)' is not an IP address")
    default:
      return token.text
    }
  }

  /// Rejects words left over after a complete statement.
  public func end() throws(StatementError) {
    if let extra = peek {
      throw StatementError(column: extra.column, message: "unexpected '\(extra.text)'")
    }
  }
}

/// Address syntax checks without Foundation or libc, so the core stays pure.
public enum IPAddressSyntax {
  public static func isIPv4(_ text: String) -> Bool {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return false }
    return parts.allSatisfy { part in
      guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
        let value = Int(part)
      else { return false }
      return value <= 255 && !(part.count > 1 && part.first == "0")
    }
  }

  public static func isIPv6(_ text: String) -> Bool {
    guard text.contains(":"), text.count <= 45 else { return false }
    let halves = text.components(separatedBy: "::")
    guard halves.count <= 2 else { return false }
    var groups = 0
    for half in halves where !half.isEmpty {
      let parts = half.split(separator: ":", omittingEmptySubsequences: false)
      for (index, part) in parts.enumerated() {
        if index == parts.count - 1, part.contains("."), isIPv4(String(part)) {
          groups += 2
          continue
        }
        guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit) else { return false }
        groups += 1
      }
    }
    return halves.count == 2 ? groups < 8 : groups == 8
  }
}

extension String {
  fileprivate func components(separatedBy separator: String) -> [String] {
    var result: [String] = []
    var rest = Substring(self)
    while let range = rest.firstRange(of: separator) {
      result.append(String(rest[..<range.lowerBound]))
      rest = rest[range.upperBound...]
    }
    result.append(String(rest))
    return result
  }
}
