/// The SMIv2 base types a value is sent as (RFC 2578 §7.1). Textual conventions map onto these:
/// TruthValue and enumerations are `integer32`, TimeStamp is `timeTicks`, DisplayString and
/// InetAddress are `octetString`.
public enum SMIType: String, Sendable, Hashable, CaseIterable {
  case integer32
  case unsigned32
  case counter32
  case counter64
  case timeTicks
  case octetString
  case objectIdentifier
  /// Sent as an OCTET STRING; kept apart so the view and the tests can tell BITS columns.
  case bits
}

/// One SNMP value as the MIB serves it.
public enum SNMPValue: Sendable, Hashable, CustomStringConvertible {
  case integer(Int32)
  /// Gauge32 and Unsigned32 share one encoding (RFC 2578 §7.1.11).
  case unsigned(UInt32)
  case counter32(UInt32)
  case counter64(UInt64)
  case timeTicks(UInt32)
  case octetString([UInt8])
  case objectIdentifier(OID)
  /// RFC 2578 §7.1.4: bit 0 is the most significant bit of the first octet.
  case bits([UInt8])

  public var smiType: SMIType {
    switch self {
    case .integer: .integer32
    case .unsigned: .unsigned32
    case .counter32: .counter32
    case .counter64: .counter64
    case .timeTicks: .timeTicks
    case .octetString: .octetString
    case .objectIdentifier: .objectIdentifier
    case .bits: .bits
    }
  }

  /// The type label snmpwalk prints before the value. For OCTET STRINGs net-snmp guesses: text
  /// made only of printable characters and whitespace is `STRING`, anything else `Hex-STRING`.
  /// `BITS` is what it prints when the MIB is loaded.
  public var typeName: String {
    switch self {
    case .integer: "INTEGER"
    case .unsigned: "Gauge32"
    case .counter32: "Counter32"
    case .counter64: "Counter64"
    case .timeTicks: "Timeticks"
    case .octetString(let bytes): bytes.allSatisfy(Self.isPrintable) ? "STRING" : "Hex-STRING"
    case .objectIdentifier: "OID"
    case .bits: "BITS"
    }
  }

  /// The ASN.1 BER tag, which AgentX reuses as its varbind type (RFC 2741 §5.4).
  public var berTag: UInt8 {
    switch self {
    case .integer: 0x02
    case .octetString, .bits: 0x04
    case .objectIdentifier: 0x06
    case .counter32: 0x41
    case .unsigned: 0x42
    case .timeTicks: 0x43
    case .counter64: 0x46
    }
  }

  /// `INTEGER: 2`, `STRING: "eth1"`, `BITS: 80` — close to snmpwalk's output, for logs and tests.
  public var description: String {
    switch self {
    case .integer(let v): "INTEGER: \(v)"
    case .unsigned(let v): "Gauge32: \(v)"
    case .counter32(let v): "Counter32: \(v)"
    case .counter64(let v): "Counter64: \(v)"
    case .timeTicks(let v): "Timeticks: (\(v))"
    case .octetString(let bytes):
      typeName == "STRING"
        ? "STRING: \"\(String(decoding: bytes, as: UTF8.self))\""
        : "Hex-STRING: \(Self.hex(bytes))"
    case .objectIdentifier(let oid): "OID: .\(oid)"
    case .bits(let bytes): "BITS: \(Self.hex(bytes))"
    }
  }

  /// A DisplayString: UTF-8, cut to `limit` octets (the MIB's SIZE) without splitting a
  /// character.
  public static func displayString(_ text: String, limit: Int = 255) -> SNMPValue {
    var bytes = Array(text.utf8)
    if bytes.count > limit {
      var end = limit
      // Back up over continuation bytes (10xxxxxx) so no character is cut in half.
      while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
      bytes = Array(bytes[..<end])
    }
    return .octetString(bytes)
  }

  /// TruthValue (SNMPv2-TC): true(1), false(2).
  public static func truthValue(_ value: Bool) -> SNMPValue { .integer(value ? 1 : 2) }

  /// A BITS value from bit positions.
  public static func bits(positions: some Sequence<Int>, octets: Int = 1) -> SNMPValue {
    var bytes = [UInt8](repeating: 0, count: octets)
    for bit in positions where bit >= 0 && bit < octets * 8 {
      bytes[bit / 8] |= 0x80 >> UInt8(bit % 8)
    }
    return .bits(bytes)
  }

  /// The bit positions set in a BITS value.
  public var bitPositions: [Int]? {
    guard case .bits(let bytes) = self else { return nil }
    var positions: [Int] = []
    for (index, byte) in bytes.enumerated() {
      for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 {
        positions.append(index * 8 + bit)
      }
    }
    return positions
  }

  private static func isPrintable(_ byte: UInt8) -> Bool {
    // C isprint || isspace in the C locale, which net-snmp uses for its guess.
    (0x20...0x7E).contains(byte) || (0x09...0x0D).contains(byte)
  }

  private static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
      let digits = String(byte, radix: 16, uppercase: true)
      return byte < 0x10 ? "0" + digits : digits
    }.joined(separator: " ")
  }
}
