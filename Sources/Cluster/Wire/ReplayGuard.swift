/// What the replay guard decided about one message.
public enum ReplayVerdict: Sendable, Equatable, CustomStringConvertible {
  case fresh
  /// The first message, or the peer restarted: accept and start counting again.
  case newEpoch
  /// An old sequence number of the current epoch, or a message of an older epoch.
  case replayed

  public var description: String {
    switch self {
    case .fresh: "fresh"
    case .newEpoch: "new epoch"
    case .replayed: "replayed"
    }
  }
}

/// Replay protection by (epoch, sequence) (DESIGN §4): one peer epoch for both links, and the
/// highest sequence number of that epoch per link.
///
/// Boot epochs rise on every start, across clock steps too (the agent persists the last one,
/// see `BootEpoch`), so a message of an older epoch is a recording and is refused, always: no
/// exception while the peer is silent, which is exactly when a recording would make a dead
/// peer look alive. Whether a message of an accepted epoch is recent is the nonce's business
/// (`FreshnessChallenge`).
public struct ReplayGuard: Sendable, Equatable {
  private var epoch: UInt64?
  private var control: UInt64?
  private var fabric: UInt64?
  private var lan: UInt64?

  public init() {}

  public mutating func accept(epoch: UInt64, sequence: UInt64, link: HeartbeatMessage.Link)
    -> ReplayVerdict
  {
    if replayReason(epoch: epoch, sequence: sequence, link: link) != nil { return .replayed }
    if epoch == self.epoch {
      record(sequence, on: link)
      return .fresh
    }
    self.epoch = epoch
    control = nil
    fabric = nil
    lan = nil
    record(sequence, on: link)
    return .newEpoch
  }

  /// Why `accept` would refuse this message, without recording anything: what the receive
  /// path asks of a copy of the machine's guard before it spends an HMAC on a datagram
  /// (`HeartbeatScreen`), and the reason the machine reports.
  public func replayReason(epoch: UInt64, sequence: UInt64, link: HeartbeatMessage.Link)
    -> ReplayRefusal?
  {
    guard let current = self.epoch else { return nil }
    if epoch < current { return .earlierEpoch }
    if epoch == current, let highest = highestSequence(on: link), sequence <= highest {
      return .oldSequence(sequence)
    }
    return nil
  }

  /// The newest peer epoch seen, on either link.
  public var peerEpoch: UInt64? { epoch }

  public func highestSequence(on link: HeartbeatMessage.Link) -> UInt64? {
    switch link {
    case .control: control
    case .fabric: fabric
    case .lan: lan
    }
  }

  private mutating func record(_ sequence: UInt64, on link: HeartbeatMessage.Link) {
    switch link {
    case .control: control = sequence
    case .fabric: fabric = sequence
    case .lan: lan = sequence
    }
  }
}

/// Why the replay guard refuses a message.
public enum ReplayRefusal: Sendable, Hashable, CustomStringConvertible {
  case earlierEpoch
  case oldSequence(UInt64)

  public var description: String {
    switch self {
    case .earlierEpoch: "replayed message of an earlier epoch"
    case .oldSequence(let sequence): "replayed sequence \(sequence)"
    }
  }
}
