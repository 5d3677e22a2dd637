/// The state of one redundancy group on one node (DESIGN §3.9).
/// Raw values are the MIB's `CcRedundancyGroupState` and the wire encoding; never renumber.
public enum RedundancyGroupState: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
  case hold = 1
  case primary = 2
  case secondaryHold = 3
  case secondary = 4
  case ineligible = 5
  case disabled = 6
  /// Only ever shown for the peer's row: the peer is unreachable.
  case lost = 7

  /// The Junos spelling used in views and JSON.
  public var description: String {
    switch self {
    case .hold: "hold"
    case .primary: "primary"
    case .secondaryHold: "secondary-hold"
    case .secondary: "secondary"
    case .ineligible: "ineligible"
    case .disabled: "disabled"
    case .lost: "lost"
    }
  }

  public init?(name: String) {
    guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
    self = match
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let state = Self(name: name) else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "unknown redundancy-group state \(name)")
    }
    self = state
  }
}
