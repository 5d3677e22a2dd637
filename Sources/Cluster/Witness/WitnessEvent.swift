/// What the node tells the operator about its witness (DESIGN §12); part of `ClusterEvent`.
public enum WitnessEvent: Sendable, Equatable {
  /// The witness's answers stopped vouching for this node. Alone this changes nothing.
  case lost(lastContactAgeMilliseconds: Int64?)
  /// Answers are counted again (or for the first time).
  case found
  /// The grant holder or its confirmation changed, per the witness's latest answer.
  case grantChanged(holder: Int?, confirmed: Bool)
  /// A datagram on the witness socket was dropped.
  case rejected(reason: String)

  public var name: String {
    switch self {
    case .lost: "witness-lost"
    case .found: "witness-found"
    case .grantChanged: "witness-grant"
    case .rejected: "witness-datagram-rejected"
    }
  }

  public var summary: String {
    switch self {
    case .lost: "witness lost"
    case .found: "witness reachable"
    case .grantChanged(let holder?, let confirmed):
      "witness grant held by node\(holder)" + (confirmed ? "" : " (waiting for confirmation)")
    case .grantChanged(nil, _): "witness grant held by nobody"
    case .rejected(let reason): "witness datagram rejected: \(reason)"
    }
  }
}
