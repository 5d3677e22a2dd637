/// What a node tells the witness (DESIGN §12): who it is, whether it is primary of any RG and
/// whether it lost its peer on every path and so claims the witness's grant.
///
/// Freshness both ways: the reply echoes (`bootEpoch`, `sequence`), so the node knows which of
/// its requests was answered and when it sent it; the request echoes the witness's latest
/// nonce, so the witness counts only requests newer than its own last reply.
public struct WitnessRequest: Sendable, Equatable {
  public var clusterID: UInt8
  public var nodeID: UInt8
  public var bootEpoch: UInt64
  public var sequence: UInt64
  /// The latest nonce the witness sent this node (0: none yet).
  public var echoedNonce: UInt64
  /// How long the node counts on one answered request; the witness keeps it for longer.
  public var leaseMilliseconds: UInt32
  /// The node lost its peer on every path and may take over: it asks for the grant.
  public var claim: Bool
  /// The node is primary of at least one RG.
  public var primary: Bool
  /// The node's configured RG0 priority: the tie-breaker between two claims.
  public var priority: UInt8

  public init(
    clusterID: UInt8, nodeID: UInt8, bootEpoch: UInt64, sequence: UInt64, echoedNonce: UInt64,
    leaseMilliseconds: UInt32, claim: Bool, primary: Bool, priority: UInt8
  ) {
    self.clusterID = clusterID
    self.nodeID = nodeID
    self.bootEpoch = bootEpoch
    self.sequence = sequence
    self.echoedNonce = echoedNonce
    self.leaseMilliseconds = leaseMilliseconds
    self.claim = claim
    self.primary = primary
    self.priority = priority
  }

  public var lease: Duration { .milliseconds(Int64(leaseMilliseconds)) }
}

/// The witness's answer to one request.
public struct WitnessReply: Sendable, Equatable {
  public var clusterID: UInt8
  /// The node the reply is for.
  public var nodeID: UInt8
  public var echoedEpoch: UInt64
  public var echoedSequence: UInt64
  /// To be echoed in the node's next request.
  public var nonce: UInt64
  /// The request proved itself fresh and was counted as contact (and as a claim or renewal).
  public var recorded: Bool
  /// Who holds the cluster's grant, if anyone.
  public var holder: UInt8?
  /// The holder may act on the grant: the other node is silent or primary of nothing.
  /// Until then the holder waits and the other node gives its RGs up.
  public var confirmed: Bool

  public init(
    clusterID: UInt8, nodeID: UInt8, echoedEpoch: UInt64, echoedSequence: UInt64, nonce: UInt64,
    recorded: Bool, holder: UInt8?, confirmed: Bool
  ) {
    self.clusterID = clusterID
    self.nodeID = nodeID
    self.echoedEpoch = echoedEpoch
    self.echoedSequence = echoedSequence
    self.nonce = nonce
    self.recorded = recorded
    self.holder = holder
    self.confirmed = confirmed
  }
}
