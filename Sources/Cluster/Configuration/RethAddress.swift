/// One address of a reth: `192.0.2.1/24` or `2001:db8:1::1/64`.
public struct RethAddress: Sendable, Equatable, Hashable, CustomStringConvertible, Codable {
  public enum Family: String, Sendable, Codable {
    case inet
    case inet6
  }

  public var family: Family
  /// The address as written (normalised only by the parser's check).
  public var address: String
  public var prefixLength: Int
  /// 4 or 16 bytes, network order.
  public var octets: [UInt8]

  public var description: String { "\(address)/\(prefixLength)" }

  /// Parses `A/P` for `family`; nil with a reason when it is not a valid address of it.
  public static func parse(_ text: String, family: Family) -> Result<RethAddress, Problem> {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2 else {
      return .failure(Problem("'\(text)' needs a prefix length (address/prefix)"))
    }
    let maxPrefix = family == .inet ? 32 : 128
    guard let prefix = Int(parts[1]), (1...maxPrefix).contains(prefix) else {
      return .failure(Problem("prefix length of '\(text)' must be 1..\(maxPrefix)"))
    }
    let octets =
      family == .inet ? InetAddressText.ipv4(parts[0]) : InetAddressText.ipv6(parts[0])
    guard let octets else {
      return .failure(
        Problem("'\(parts[0])' is not an \(family == .inet ? "IPv4" : "IPv6") address"))
    }
    return .success(
      RethAddress(
        family: family, address: String(parts[0]), prefixLength: prefix, octets: octets))
  }

  public struct Problem: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
  }

  /// Whether `other` (4 or 16 bytes) lies in this address's network.
  public func network(contains other: [UInt8]) -> Bool {
    guard other.count == octets.count else { return false }
    var left = prefixLength
    for (a, b) in zip(octets, other) {
      guard left > 0 else { return true }
      let bits = min(left, 8)
      let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
      if a & mask != b & mask { return false }
      left -= bits
    }
    return true
  }
}

extension RethAddress {
  /// JSON carries the text form, "192.0.2.1/24", as the views print it.
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    switch Self.parse(text, family: text.contains(":") ? .inet6 : .inet) {
    case .success(let address): self = address
    case .failure(let problem):
      throw DecodingError.dataCorrupted(
        DecodingError.Context(codingPath: decoder.codingPath, debugDescription: problem.message))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

/// Where the shared MAC of the reths comes from.
public enum RethMACStyle: String, Sendable, Equatable, Codable {
  /// Locally administered, from the cluster-id and the reth index (the default).
  case local
  /// Juniper's own `00:10:db:ff:LH:NN`, opt-in: it is Juniper's OUI.
  case juniper
  /// No shared MAC: the member's own MAC plus gratuitous ARP.
  case member
}
