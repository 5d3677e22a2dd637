/// What `ReplayGuard.accept` decided about one authenticated message.
public enum ReplayVerdict: Sendable, Equatable, CustomStringConvertible {
  /// Same epoch, higher sequence: accept.
  case fresh
  /// The first message on this link, or the peer restarted: accept; the sequence starts over.
  case newEpoch
  /// Not newer than what was already accepted, or from an epoch the peer has left: drop.
  case replayed

  public var description: String {
    switch self {
    case .fresh: "fresh"
    case .newEpoch: "new epoch"
    case .replayed: "replayed"
    }
  }
}

/// Replay protection by (boot epoch, sequence) per link (DESIGN §4). Links are separate because
/// a heartbeat and its probe share a sequence number and each link may lose or reorder its own.
///
/// A restarted peer picks a new random epoch and restarts its sequence, so any epoch other than
/// the current one is taken as a restart. Only messages whose MAC verified reach the guard, so an
/// attacker cannot forge a new epoch without the key; what it can do is replay a recorded
/// message from one of the peer's earlier boots. To blunt that, epochs the peer has left are
/// remembered (the last `retiredEpochLimit` per link) and rejected. A message recorded before
/// that, or replayed before this agent has heard the real peer, is still accepted once; the
/// genuine peer's next message then switches back and retires the replayed epoch.
public struct ReplayGuard: Sendable, Equatable {
  public static let retiredEpochLimit = 8

  private struct Position: Sendable, Equatable {
    var epoch: UInt64
    var highestSequence: UInt64
    /// Oldest first.
    var retired: [UInt64] = []
  }

  private var control: Position?
  private var fabric: Position?

  public init() {}

  public mutating func accept(
    epoch: UInt64, sequence: UInt64, link: HeartbeatMessage.Link
  ) -> ReplayVerdict {
    switch link {
    case .control: Self.accept(epoch: epoch, sequence: sequence, position: &control)
    case .fabric: Self.accept(epoch: epoch, sequence: sequence, position: &fabric)
    }
  }

  /// The peer's epoch last accepted on `link`, if any.
  public func epoch(on link: HeartbeatMessage.Link) -> UInt64? {
    position(link)?.epoch
  }

  /// The highest sequence accepted on `link` in the current epoch, if any.
  public func highestSequence(on link: HeartbeatMessage.Link) -> UInt64? {
    position(link)?.highestSequence
  }

  private func position(_ link: HeartbeatMessage.Link) -> Position? {
    link == .control ? control : fabric
  }

  private static func accept(
    epoch: UInt64, sequence: UInt64, position: inout Position?
  ) -> ReplayVerdict {
    guard var current = position else {
      position = Position(epoch: epoch, highestSequence: sequence)
      return .newEpoch
    }
    if epoch == current.epoch {
      guard sequence > current.highestSequence else { return .replayed }
      current.highestSequence = sequence
      position = current
      return .fresh
    }
    guard !current.retired.contains(epoch) else { return .replayed }
    current.retired.append(current.epoch)
    if current.retired.count > retiredEpochLimit { current.retired.removeFirst() }
    current.epoch = epoch
    current.highestSequence = sequence
    position = current
    return .newEpoch
  }
}
