/// Whether this node hears the witness.
public enum WitnessReachability: String, Sendable, Codable, Equatable {
  /// Not answered since this agent started.
  case unknown
  case up
  case lost
}

/// The local node's side of the witness protocol (DESIGN §12).
struct WitnessRuntime: Sendable {
  var reachability: WitnessReachability = .unknown
  var sequence: UInt64 = 0
  /// When each request still worth an answer was sent: an answer vouches from that moment.
  var sentAt: [UInt64: ClusterTime] = [:]
  var nonceToEcho: UInt64 = 0
  var nonceSequence: UInt64 = 0
  /// The latest request the witness counted, and until when its answer vouches for this node.
  var answeredSequence: UInt64 = 0
  var vouchedUntil: ClusterTime?
  var lastContactAt: ClusterTime?
  /// From the latest counted answer.
  var holder: Int?
  var confirmed = false
  var lastContent: WitnessContent?
  var sent: UInt64 = 0
  var received: UInt64 = 0
  var errors: UInt64 = 0

  func vouched(at now: ClusterTime) -> Bool { vouchedUntil.map { now < $0 } ?? false }

  /// Requests unanswered for longer than this are forgotten (their answer would vouch for no
  /// time at all).
  mutating func prune(before limit: ClusterTime) {
    sentAt = sentAt.filter { $0.value >= limit }
  }
}

/// What a request says besides its counters; a change is sent at once.
struct WitnessContent: Sendable, Equatable {
  var claim: Bool
  var primary: Bool
  var priority: UInt8
}

/// `show … information` and JSON: the witness as this node sees it.
public struct WitnessStatus: Sendable, Equatable, Codable {
  public var address: String
  public var port: Int
  public var reachability: WitnessReachability
  /// The grant holder per the latest counted answer (nil: nobody).
  public var grantHolder: Int?
  public var grantConfirmed: Bool
  /// This node holds a confirmed grant it may act on now.
  public var holdsGrant: Bool
  /// This node lost its peer on every path and asks for the grant.
  public var claiming: Bool
  public var lastContactMilliseconds: Int64?
  public var requestsSent: UInt64
  public var repliesReceived: UInt64
  public var replyErrors: UInt64
}
