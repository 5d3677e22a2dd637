/// A datagram's source address as two words, so that the receive path compares it with the
/// peer's address without building or parsing text for each of a flood's datagrams.
public struct PacketSource: Hashable, Sendable {
  public var isIPv6: Bool
  public var high: UInt64
  public var low: UInt64

  /// `value`: the address in host order.
  public init(ipv4 value: UInt32) {
    isIPv6 = false
    high = 0
    low = UInt64(value)
  }

  /// `octets`: the 16 bytes in network order.
  public init(ipv6 octets: some Collection<UInt8>) {
    isIPv6 = true
    let bytes = Array(octets.prefix(16))
    high = bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    low = bytes.dropFirst(8).reduce(0) { $0 << 8 | UInt64($1) }
  }

  /// Any spelling inet_pton takes (IPv4 or IPv6, no zone); nil for anything else.
  public init?(text: String) {
    let parsed = InetAddressText.parse(text)
    switch parsed.type {
    case .ipv4: self.init(ipv4: parsed.octets.reduce(0) { $0 << 8 | UInt32($1) })
    case .ipv6: self.init(ipv6: parsed.octets)
    case .unknown: return nil
    }
  }
}
