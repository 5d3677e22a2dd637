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

/// Replay protection by (epoch, sequence) per link (DESIGN §4).
///
/// Boot epochs increase across restarts (the agent derives them from the wall clock), so a
/// message of an older epoch is a recording of an earlier boot and is refused — accepting it
/// would make the genuine, newer epoch look like a replay from then on (the soak test found
/// exactly that with "any other epoch is a restart"). Only while the current peer is silent
/// (lost: perhaps its clock stepped back before it restarted) is an older epoch taken.
public struct ReplayGuard: Sendable, Equatable {
  private struct Position: Sendable, Equatable {
    var epoch: UInt64
    var highestSequence: UInt64
  }

  private var control: Position?
  private var fabric: Position?
  private var lan: Position?

  public init() {}

  /// `peerSilent`: the peer of the current epoch is lost, so an older epoch may be a restart
  /// after a clock step.
  public mutating func accept(
    epoch: UInt64, sequence: UInt64, link: HeartbeatMessage.Link, peerSilent: Bool = false
  ) -> ReplayVerdict {
    switch link {
    case .control:
      Self.accept(epoch: epoch, sequence: sequence, peerSilent: peerSilent, position: &control)
    case .fabric:
      Self.accept(epoch: epoch, sequence: sequence, peerSilent: peerSilent, position: &fabric)
    case .lan:
      Self.accept(epoch: epoch, sequence: sequence, peerSilent: peerSilent, position: &lan)
    }
  }

  public func epoch(on link: HeartbeatMessage.Link) -> UInt64? {
    position(link)?.epoch
  }

  public func highestSequence(on link: HeartbeatMessage.Link) -> UInt64? {
    position(link)?.highestSequence
  }

  private func position(_ link: HeartbeatMessage.Link) -> Position? {
    switch link {
    case .control: control
    case .fabric: fabric
    case .lan: lan
    }
  }

  private static func accept(
    epoch: UInt64, sequence: UInt64, peerSilent: Bool, position: inout Position?
  ) -> ReplayVerdict {
    guard let current = position else {
      position = Position(epoch: epoch, highestSequence: sequence)
      return .newEpoch
    }
    if epoch == current.epoch {
      guard sequence > current.highestSequence else { return .replayed }
      position?.highestSequence = sequence
      return .fresh
    }
    guard epoch > current.epoch || peerSilent else { return .replayed }
    position = Position(epoch: epoch, highestSequence: sequence)
    return .newEpoch
  }
}
