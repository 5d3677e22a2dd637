/// Monitor failure codes shown in views (DESIGN §3.5). Bit positions are the wire format and
/// the MIB's `CcFailureCodes` BITS; never renumber.
public struct FailureCodes: OptionSet, Sendable, Hashable, CustomStringConvertible {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// Interface monitoring.
  public static let interface = FailureCodes(rawValue: 1 << 0)
  /// IP monitoring.
  public static let ip = FailureCodes(rawValue: 1 << 1)
  /// Configuration differs from the peer's.
  public static let configSync = FailureCodes(rawValue: 1 << 2)
  /// Fabric connection.
  public static let fabric = FailureCodes(rawValue: 1 << 3)
  /// Cold sync: a (re)joining node waits for the primary's sessions (DESIGN §11).
  public static let coldSync = FailureCodes(rawValue: 1 << 4)

  /// In display order, with their Junos abbreviations.
  public static let all: [(FailureCodes, String, String)] = [
    (.coldSync, "CS", "Cold Sync monitoring"),
    (.configSync, "CF", "Config Sync monitoring"),
    (.fabric, "FL", "Fabric Connection monitoring"),
    (.interface, "IF", "Interface monitoring"),
    (.ip, "IP", "IP monitoring"),
  ]

  /// ["IF", "IP"], in display order.
  public var abbreviations: [String] {
    Self.all.filter { contains($0.0) }.map(\.1)
  }

  /// The codes of abbreviations such as ["IF", "IP"] (unknown ones are ignored).
  public init(abbreviations: [String]) {
    self = []
    for (code, abbreviation, _) in Self.all where abbreviations.contains(abbreviation) {
      insert(code)
    }
  }

  /// "IF IP", or "None".
  public var description: String {
    let names = abbreviations
    return names.isEmpty ? "None" : names.joined(separator: " ")
  }
}
