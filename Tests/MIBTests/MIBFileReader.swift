import MIB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regex-level reader of the SMIv2 file: enough to pull out each definition's name, macro,
/// `::= { parent n }`, SYNTAX, MAX-ACCESS, INDEX and OBJECTS, and textual conventions. Not an
/// SMI parser; smilint checks the file itself.
struct MIBFile {
  struct Definition {
    var name: String
    /// OBJECT-TYPE, NOTIFICATION-TYPE, OBJECT IDENTIFIER, MODULE-IDENTITY, OBJECT-GROUP, …
    var macro: String
    var parent: String
    var arc: UInt32
    var syntax: Syntax?
    var access: String?
    var index: [String]
    var objects: [String]
  }

  struct Syntax {
    /// `Integer32`, `INTEGER`, `OCTET STRING`, `SEQUENCE OF CcIpMonitorEntry`, `CcNodeId`.
    var type: String
    /// Named numbers of an INTEGER or BITS: `primary` → 2.
    var namedNumbers: [String: Int]
  }

  var definitions: [String: Definition] = [:]
  /// In file order.
  var order: [String] = []
  var textualConventions: [String: Syntax] = [:]

  /// The only imported OID this module hangs from (NET-SNMP-MIB).
  static let imported: [String: OID] = ["netSnmpPlaypen": [1, 3, 6, 1, 4, 1, 8072, 9999, 9999]]

  /// mibs/CHASSIS-CLUSTER-MIB.txt, two directories up from this test file.
  static func load(filePath: String = #filePath) -> MIBFile? {
    var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // MIBFileReader.swift, MIBTests, Tests
    let path = (parts + ["mibs", "CHASSIS-CLUSTER-MIB.txt"]).joined(separator: "/")
    return readFile(path).map(MIBFile.init(text:))
  }

  init(text: String) {
    let clean = Self.stripStringsAndComments(text)
    let header =
      #/
      ^ ([A-Za-z][\w-]*) \h+
      (OBJECT-TYPE | NOTIFICATION-TYPE | MODULE-IDENTITY | OBJECT-GROUP | NOTIFICATION-GROUP
        | MODULE-COMPLIANCE) \h* $
      /#.anchorsMatchLineEndings()
    let assignment = /::=\s*\{\s*([A-Za-z][\w-]*)\s+(\d+)\s*\}/
    for match in clean.matches(of: header) {
      let rest = clean[match.range.upperBound...]
      guard let end = rest.firstMatch(of: assignment) else { continue }
      let block = rest[..<end.range.lowerBound]
      let name = String(match.output.1)
      definitions[name] = Definition(
        name: name, macro: String(match.output.2), parent: String(end.output.1),
        arc: UInt32(end.output.2)!, syntax: Self.syntax(in: block),
        access: block.firstMatch(of: /MAX-ACCESS\s+([\w-]+)/).map { String($0.output.1) },
        index: Self.list(after: "INDEX", in: block),
        objects: Self.list(after: "OBJECTS", in: block))
      order.append(name)
    }
    let identifier =
      #/
      ^ ([A-Za-z][\w-]*) \h+ OBJECT \h+ IDENTIFIER \s* ::= \s* \{ \s* ([A-Za-z][\w-]*) \s+ (\d+)
      \s* \}
      /#.anchorsMatchLineEndings()
    for match in clean.matches(of: identifier) {
      let name = String(match.output.1)
      definitions[name] = Definition(
        name: name, macro: "OBJECT IDENTIFIER", parent: String(match.output.2),
        arc: UInt32(match.output.3)!, syntax: nil, access: nil, index: [], objects: [])
      order.append(name)
    }
    let convention = /^([A-Z][\w-]*)\s*::=\s*TEXTUAL-CONVENTION/.anchorsMatchLineEndings()
    for match in clean.matches(of: convention) {
      if let syntax = Self.syntax(in: clean[match.range.upperBound...]) {
        textualConventions[String(match.output.1)] = syntax
      }
    }
  }

  /// The numeric OID of a definition, following parents up to an imported node.
  func oid(of name: String) -> OID? {
    if let known = Self.imported[name] { return known }
    guard let definition = definitions[name], definition.parent != name,
      let parent = oid(of: definition.parent)
    else { return nil }
    return parent + [definition.arc]
  }

  /// Names of the definitions made with `macro`.
  func names(_ macro: String) -> [String] {
    order.filter { definitions[$0]?.macro == macro }
  }

  /// The SMIv2 base type behind a SYNTAX type, through this file's textual conventions and
  /// the few imported ones.
  func baseType(_ type: String) -> SMIType? {
    switch type {
    case "Integer32", "INTEGER", "TruthValue", "InetAddressType": .integer32
    case "Unsigned32", "Gauge32", "InetAddressPrefixLength": .unsigned32
    case "Counter32": .counter32
    case "Counter64": .counter64
    case "TimeTicks", "TimeStamp": .timeTicks
    case "OCTET STRING", "DisplayString", "InetAddress", "PhysAddress": .octetString
    case "OBJECT IDENTIFIER": .objectIdentifier
    case "BITS": .bits
    default: textualConventions[type].flatMap { baseType($0.type) }
    }
  }

  /// Named numbers of a definition's SYNTAX, or of the textual convention it names.
  func namedNumbers(_ name: String) -> [String: Int] {
    let syntax = definitions[name]?.syntax ?? textualConventions[name]
    guard let syntax else { return [:] }
    if syntax.namedNumbers.isEmpty, let tc = textualConventions[syntax.type] {
      return tc.namedNumbers
    }
    return syntax.namedNumbers
  }

  // MARK: - Pieces

  private static func syntax(in block: Substring) -> Syntax? {
    let pattern =
      #/
      SYNTAX \s+ (SEQUENCE \s+ OF \s+ [\w-]+ | OCTET \s+ STRING | OBJECT \s+ IDENTIFIER
        | [A-Za-z][\w-]*) \s* (\{ [^}]* \})?
      /#
    guard let match = block.firstMatch(of: pattern) else { return nil }
    var numbers: [String: Int] = [:]
    if let braces = match.output.2 {
      for named in braces.matches(of: /([a-z][\w-]*)\s*\(\s*(-?\d+)\s*\)/) {
        numbers[String(named.output.1)] = Int(named.output.2)
      }
    }
    let type = match.output.1.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    return Syntax(type: type, namedNumbers: numbers)
  }

  private static func list(after keyword: String, in block: Substring) -> [String] {
    guard let start = block.firstRange(of: keyword) else { return [] }
    let rest = block[start.upperBound...]
    guard let open = rest.firstIndex(of: "{"), let close = rest.firstIndex(of: "}") else {
      return []
    }
    return rest[rest.index(after: open)..<close].split(whereSeparator: { ", \n\t".contains($0) })
      .map(String.init)
  }

  /// Drops `"…"` strings (DESCRIPTION text may say anything) and `--` comments.
  private static func stripStringsAndComments(_ text: String) -> String {
    var out = ""
    var inString = false
    var inComment = false
    var previous: Character = " "
    for c in text {
      if inString {
        if c == "\"" {
          inString = false
          out.append("\"\"")
        }
      } else if inComment {
        if c == "\n" {
          inComment = false
          out.append(c)
        }
      } else if c == "\"" {
        inString = true
      } else if c == "-" && previous == "-" {
        out.removeLast()
        inComment = true
      } else {
        out.append(c)
      }
      previous = inComment || inString ? " " : c
    }
    return out
  }

  private static func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = fread(&buffer, 1, buffer.count, file)
      if count <= 0 { break }
      bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
