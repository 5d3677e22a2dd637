/// A `ccctl simulate` file: configuration statements, a `---` line, then timed events.
public struct Scenario: Sendable {
  public var configuration: ClusterConfiguration
  public var steps: [ScenarioStep]
  public var diagnostics: [ConfigurationDiagnostic]
}

public struct ScenarioStep: Sendable, Equatable {
  /// Absolute virtual time of the step (offsets accumulate).
  public var time: ClusterTime
  public var command: ScenarioCommand
  public var line: Int
}

public enum ScenarioCommand: Sendable, Equatable {
  case boot(node: Int)
  case crash(node: Int)
  case link(node: Int, interface: String, state: LinkState)
  case ip(node: Int, address: String, reachable: Bool)
  case cut(HeartbeatMessage.Link)
  case heal(HeartbeatMessage.Link)
  case failover(group: Int, node: Int)
  case failoverReset(group: Int)
  case clearFailoverCount
  case status
  /// The witness (DESIGN §12): `crash witness`, `boot witness`, and its path from one node or
  /// both (`cut witness-link [node0|node1]`).
  case crashWitness
  case bootWitness
  case cutWitness(node: Int?)
  case healWitness(node: Int?)
}

public enum ScenarioParser {
  public enum Failure: Error {
    case invalid([ConfigurationDiagnostic])
  }

  /// Parses the whole file; errors from either part come back as `file:line:column` diagnostics.
  public static func parse(_ text: String, file: String) -> Result<Scenario, Failure> {
    let lines = StatementTokenizer.lines(of: text)
    guard let separator = lines.firstIndex(where: { $0.trimmingSpaces == "---" }) else {
      return .failure(
        .invalid([
          ConfigurationDiagnostic(
            file: file, line: lines.count + 1, column: 1, severity: .error,
            message: "expected a '---' line between the configuration and the events")
        ]))
    }
    var parser = ConfigurationParser(file: file)
    for (offset, line) in lines[..<separator].enumerated() {
      parser.parseLine(line, number: offset + 1)
    }
    let configResult = parser.finish()
    var diagnostics = configResult.diagnostics
    var steps: [ScenarioStep] = []
    var now = ClusterTime.zero
    for offset in (separator + 1)..<lines.count {
      let number = offset + 1
      do throws(StatementError) {
        let tokens: [Token]
        do {
          tokens = try StatementTokenizer.tokenize(lines[offset])
        } catch {
          switch error {
          case .unterminatedQuote(let column):
            throw StatementError(column: column, message: "unterminated quoted string")
          }
        }
        guard !tokens.isEmpty else { continue }
        var cursor = StatementCursor(
          tokens: tokens, line: number, endColumn: lines[offset].count + 1)
        let offsetToken = try cursor.word("a time offset such as +1s")
        guard let delta = parseOffset(offsetToken.text) else {
          throw StatementError(
            column: offsetToken.column,
            message:
              "bad time offset '\(offsetToken.text)': expected +N s, +N ms (e.g. +250ms, +3s)")
        }
        now = now + delta
        let command = try parseCommand(&cursor, configuration: configResult.configuration)
        try cursor.end()
        steps.append(ScenarioStep(time: now, command: command, line: number))
      } catch {
        diagnostics.append(
          ConfigurationDiagnostic(
            file: file, line: number, column: error.column, severity: .error,
            message: error.message))
      }
    }
    guard let configuration = configResult.configuration,
      !diagnostics.contains(where: { $0.severity == .error })
    else {
      return .failure(.invalid(diagnostics))
    }
    return .success(Scenario(configuration: configuration, steps: steps, diagnostics: diagnostics))
  }

  /// `+3s`, `+250ms`, `+1.5s`, `+0s`.
  static func parseOffset(_ text: String) -> Duration? {
    guard text.hasPrefix("+") else { return nil }
    var body = Substring(text.dropFirst())
    let scale: Int64
    if body.hasSuffix("ms") {
      scale = 1_000_000
      body = body.dropLast(2)
    } else if body.hasSuffix("s") {
      scale = 1_000_000_000
      body = body.dropLast()
    } else {
      return nil
    }
    let parts = body.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0,
      whole < 100_000_000
    else { return nil }
    var nanoseconds = whole * scale
    if parts.count == 2 {
      let digits = parts[1]
      guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
        let fraction = Int64(digits)
      else { return nil }
      var divisor: Int64 = 1
      for _ in 0..<digits.count { divisor *= 10 }
      nanoseconds += fraction * scale / divisor
    }
    return .nanoseconds(nanoseconds)
  }

  private static func parseCommand(
    _ c: inout StatementCursor, configuration: ClusterConfiguration?
  ) throws(StatementError) -> ScenarioCommand {
    let verb = try c.word("an event (boot, crash, link, ip, cut, heal, failover, clear, status)")
    switch verb.text {
    case "boot", "crash":
      if c.peek?.text == "witness" {
        c.advance()
        return verb.text == "boot" ? .bootWitness : .crashWitness
      }
      return verb.text == "boot" ? .boot(node: try node(&c)) : .crash(node: try node(&c))
    case "link":
      let direction = try c.word("'down' or 'up'")
      guard direction.text == "down" || direction.text == "up" else {
        throw StatementError(
          column: direction.column, message: "expected 'down' or 'up', got '\(direction.text)'")
      }
      let n = try node(&c)
      let name = try c.word("an interface name")
      return .link(node: n, interface: name.text, state: direction.text == "up" ? .up : .down)
    case "ip":
      let direction = try c.word("'unreachable' or 'reachable'")
      guard direction.text == "unreachable" || direction.text == "reachable" else {
        throw StatementError(
          column: direction.column,
          message: "expected 'unreachable' or 'reachable', got '\(direction.text)'")
      }
      let n = try node(&c)
      let address = try c.address("ip event")
      if let configuration {
        let known = configuration.redundancyGroups.values.contains {
          $0.ipMonitoring?.addresses.contains(where: { $0.address == address }) ?? false
        }
        if !known {
          throw StatementError(
            column: c.tokens.last?.column ?? 1,
            message: "\(address) is not an ip-monitoring address of any redundancy-group")
        }
      }
      return .ip(node: n, address: address, reachable: direction.text == "reachable")
    case "cut", "heal":
      let which = try c.word("'control-link', 'fabric-link', 'lan-link' or 'witness-link'")
      let link: HeartbeatMessage.Link
      switch which.text {
      case "control-link": link = .control
      case "fabric-link": link = .fabric
      case "lan-link": link = .lan
      case "witness-link":
        let n: Int? = c.isAtEnd ? nil : try node(&c)
        return verb.text == "cut" ? .cutWitness(node: n) : .healWitness(node: n)
      default:
        throw StatementError(
          column: which.column,
          message:
            "expected 'control-link', 'fabric-link', 'lan-link' or 'witness-link', "
            + "got '\(which.text)'")
      }
      return verb.text == "cut" ? .cut(link) : .heal(link)
    case "failover":
      let first = try c.word("'redundancy-group' or 'reset'")
      if first.text == "reset" {
        try c.keyword("redundancy-group")
        return .failoverReset(group: try c.integer("redundancy-group", 0...128))
      }
      guard first.text == "redundancy-group" else {
        throw StatementError(
          column: first.column,
          message: "expected 'redundancy-group' or 'reset', got '\(first.text)'")
      }
      let group = try c.integer("redundancy-group", 0...128)
      // Junos spelling `node 1`; `node1` is accepted too.
      if c.peek?.text == "node" {
        c.advance()
        return .failover(group: group, node: try c.integer("node", 0...1))
      }
      return .failover(group: group, node: try node(&c))
    case "clear":
      try c.keyword("failover-count")
      return .clearFailoverCount
    case "status":
      return .status
    default:
      throw StatementError(column: verb.column, message: "unknown event '\(verb.text)'")
    }
  }

  private static func node(_ c: inout StatementCursor) throws(StatementError) -> Int {
    let token = try c.word("node0 or node1")
    switch token.text {
    case "node0": return 0
    case "node1": return 1
    default:
      throw StatementError(
        column: token.column, message: "expected node0 or node1, got '\(token.text)'")
    }
  }
}

extension Substring {
  var trimmingSpaces: Substring {
    var s = self
    while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
    return s
  }
}
