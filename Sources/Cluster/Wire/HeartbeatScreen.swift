/// What the receive path decides about a datagram before the state machine sees it: the
/// source check, the replay floor, the HMAC and the parse (issue 13 items 2, 3 and 7). It runs
/// on the socket's thread, so a flood of forged or replayed datagrams costs the driver one
/// batch of counts (`RejectedDatagrams`) instead of an evaluation each, and a refusal builds
/// no text unless it is kept as a sample.
///
/// `replayFloor` is the machine's replay guard as of its last accepted message: a datagram
/// whose header epoch and sequence it would refuse is refused here before its HMAC is
/// computed (the header is not yet authenticated, so this can only refuse: a forgery that
/// claims a newer sequence still has to pass the HMAC and the machine's own guard).
public struct HeartbeatScreen: Sendable {
  public var codec: HeartbeatCodec
  public var clusterID: UInt8
  public var sources: PeerSources
  public var replayFloor: ReplayGuard

  public enum Verdict: Sendable {
    case accepted(HeartbeatMessage)
    case rejected(RejectionReason)
  }

  public init(
    codec: HeartbeatCodec, clusterID: UInt8, sources: PeerSources,
    replayFloor: ReplayGuard = ReplayGuard()
  ) {
    self.codec = codec
    self.clusterID = clusterID
    self.sources = sources
    self.replayFloor = replayFloor
  }

  /// `link`: the port the datagram arrived on (it decides the link, not the datagram).
  public func screen(_ bytes: [UInt8], link: HeartbeatMessage.Link, source: PacketSource)
    -> Verdict
  {
    guard sources.matches(source, on: link) else {
      return .rejected(.unexpectedSource(expected: sources.address(for: link), link: link))
    }
    if let header = HeartbeatCodec.sequenceFields(bytes),
      let refusal = replayFloor.replayReason(
        epoch: header.epoch, sequence: header.sequence, link: link)
    {
      return .rejected(.replayed(refusal))
    }
    do {
      let message = try codec.decode(bytes, expectedClusterID: clusterID)
      guard message.link == link else { return .rejected(.wrongPort(message.link, link)) }
      return .accepted(message)
    } catch {
      return .rejected(.undecodable(error))
    }
  }
}

/// Why the receive path refused a datagram; the text only when it is reported.
public enum RejectionReason: Sendable, Hashable, CustomStringConvertible {
  case unexpectedSource(expected: String?, link: HeartbeatMessage.Link)
  case replayed(ReplayRefusal)
  /// A message of one link on another link's port.
  case wrongPort(HeartbeatMessage.Link, HeartbeatMessage.Link)
  case undecodable(HeartbeatDecodingError)

  public var isUnexpectedSource: Bool {
    if case .unexpectedSource = self { return true }
    return false
  }

  public var description: String {
    switch self {
    case .unexpectedSource(let expected, let link):
      "not from the peer's \(link) address \(expected ?? "none")"
    case .replayed(let refusal): refusal.description
    case .wrongPort(let claimed, let port): "\(claimed) message on the \(port) port"
    case .undecodable(let error): error.description
    }
  }
}

/// One datagram the receive path refused, as reported.
public struct DatagramRejection: Sendable, Equatable {
  public var link: HeartbeatMessage.Link
  public var source: String
  public var reason: String

  public init(link: HeartbeatMessage.Link, source: String, reason: String) {
    self.link = link
    self.source = source
    self.reason = reason
  }
}

/// Rejections gathered between two visits of the driver: every one counted, the first few
/// kept for the journal (whose rate limiter would drop the rest anyway).
public struct RejectedDatagrams: Sendable, Equatable {
  public static let sampleLimit = 64

  public private(set) var errors: [HeartbeatMessage.Link: UInt64] = [:]
  public private(set) var unexpectedSources: [HeartbeatMessage.Link: UInt64] = [:]
  public private(set) var samples: [DatagramRejection] = []
  public private(set) var count: UInt64 = 0

  public init() {}

  public var isEmpty: Bool { count == 0 }

  /// Whether the next rejection would be kept as a sample (then build its text).
  public var wantsSample: Bool { samples.count < Self.sampleLimit }

  public mutating func count(on link: HeartbeatMessage.Link, unexpectedSource: Bool) {
    count &+= 1
    errors[link, default: 0] &+= 1
    if unexpectedSource { unexpectedSources[link, default: 0] &+= 1 }
  }

  /// Counts it, and keeps it while there is room for samples.
  public mutating func add(_ rejection: DatagramRejection, unexpectedSource: Bool) {
    count(on: rejection.link, unexpectedSource: unexpectedSource)
    if wantsSample { samples.append(rejection) }
  }
}
