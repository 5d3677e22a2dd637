/// Textual IPv4/IPv6 addresses to InetAddressType/InetAddress (RFC 4001), without the C
/// library: the MIB target does no I/O and needs no resolver.
public enum InetAddressText {
  /// InetAddressType values this module serves.
  public enum AddressType: Int32, Sendable {
    case unknown = 0
    case ipv4 = 1
    case ipv6 = 2
  }

  /// `ipv4` with 4 octets, `ipv6` with 16, or `unknown` with none (RFC 4001 §3: an empty
  /// InetAddress goes with unknown(0)) for text that is neither, such as a zone-qualified
  /// address, which this MIB does not support.
  public static func parse(_ text: String) -> (type: AddressType, octets: [UInt8]) {
    if let v4 = ipv4(Substring(text)) { return (.ipv4, v4) }
    if let v6 = ipv6(Substring(text)) { return (.ipv6, v6) }
    return (.unknown, [])
  }

  /// Dotted quad, four decimal parts 0–255. Leading zeros are refused, like inet_pton, since
  /// some tools read them as octal.
  public static func ipv4(_ text: Substring) -> [UInt8]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var octets: [UInt8] = []
    for part in parts {
      guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy(isDigit),
        part.utf8.count == 1 || part.utf8.first != 0x30,
        let value = UInt8(part)
      else { return nil }
      octets.append(value)
    }
    return octets
  }

  /// RFC 4291 §2.2 text: eight groups of 1–4 hex digits, one `::` standing for one or more
  /// zero groups, and an optional dotted quad as the last 32 bits.
  public static func ipv6(_ text: Substring) -> [UInt8]? {
    guard text.contains(":") else { return nil }
    let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
    guard halves.count <= 2 else { return nil }
    let compressed = halves.count == 2
    // Only the part after the last group may hold the dotted quad.
    guard let head = groups(halves[0], allowIPv4Tail: !compressed),
      let tail = compressed ? groups(halves[1], allowIPv4Tail: true) : []
    else { return nil }
    let total = head.count + tail.count
    if compressed ? total > 7 : total != 8 { return nil }
    let words = head + [UInt16](repeating: 0, count: 8 - total) + tail
    return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
  }

  /// The 16-bit groups of one side of `::`; empty text is no group.
  private static func groups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
    guard !text.isEmpty else { return [] }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    var words: [UInt16] = []
    for (offset, part) in parts.enumerated() {
      if allowIPv4Tail && offset == parts.count - 1 && part.contains(".") {
        guard let v4 = ipv4(part) else { return nil }
        words.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
        words.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
        continue
      }
      guard (1...4).contains(part.utf8.count), part.utf8.allSatisfy(isHexDigit),
        let value = UInt16(part, radix: 16)
      else { return nil }
      words.append(value)
    }
    return words
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

  private static func isHexDigit(_ c: UInt8) -> Bool {
    isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
  }
}
