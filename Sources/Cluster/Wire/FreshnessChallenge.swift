import Crypto

/// The per-session freshness challenge of DESIGN §4: every message carries this node's nonce
/// and echoes the peer's latest one. The peer counts as up, and its content is acted on, only
/// in a message that echoes our current nonce: a recording cannot echo a nonce made after it.
///
/// The nonce is renewed when the peer is lost or restarts, so that messages recorded in an
/// earlier session (withheld datagrams of the current epoch included) echo a stale nonce.
/// Nonces are derived from a per-start random seed (SHA-256 of seed and counter): unique
/// across sessions and starts, and unpredictable to whoever has seen earlier ones.
public struct FreshnessChallenge: Sendable, Equatable {
  private let seed: UInt64
  private var renewals: UInt64 = 0
  /// Ours, sent in every message; never 0 (0 on the wire means "none").
  public private(set) var nonce: UInt64
  /// The latest nonce of the peer in a message the replay guard accepted: what we echo.
  public private(set) var peerNonce: UInt64 = 0
  /// Our nonce and the echoed one of the last message we sent.
  private var sentNonce: UInt64?
  private var sentEcho: UInt64 = 0

  public init(seed: UInt64) {
    self.seed = seed
    nonce = Self.derive(seed: seed, counter: 0)
  }

  /// A new session: messages that echo the previous nonce no longer count.
  public mutating func renew() {
    renewals &+= 1
    nonce = Self.derive(seed: seed, counter: renewals)
    sentNonce = nil
  }

  /// Whether `message` answers our current challenge.
  public func isAnswered(by message: HeartbeatMessage) -> Bool {
    message.echoedNonce == nonce
  }

  /// Records the peer's nonce of an accepted message; true when the peer has not yet had a
  /// message with our current nonce that echoes it (then we answer at once: one round trip
  /// after a restart or partition, not one interval). Bounded: a pair of nonces is answered
  /// once, however many messages carry it.
  public mutating func observe(peerNonce: UInt64) -> Bool {
    self.peerNonce = peerNonce
    return !answered
  }

  /// What the next message must carry; marks the current pair as answered.
  public mutating func outgoing() -> (nonce: UInt64, echoed: UInt64) {
    sentNonce = nonce
    sentEcho = peerNonce
    return (nonce, peerNonce)
  }

  private var answered: Bool { sentNonce == nonce && sentEcho == peerNonce }

  static func derive(seed: UInt64, counter: UInt64) -> UInt64 {
    let input = [seed, counter].flatMap { v in
      (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) }
    }
    var value: UInt64 = 0
    for byte in SHA256.hash(data: input).prefix(8) { value = value << 8 | UInt64(byte) }
    return value == 0 ? 1 : value
  }
}
