/// What the shell must do after an event. The shell executes actions in order and decides
/// nothing itself (DESIGN §2).
public enum ClusterAction: Sendable, Equatable {
  /// Send this content as a heartbeat on the control link and as a probe on the fabric link,
  /// with the same sequence number.
  case sendHeartbeat(HeartbeatMessage)
  /// Log, trap and hook this event.
  case emit(ClusterEvent)
  /// Bring a reth to this node's role in its RG (DESIGN §10); first in its batch.
  case dataPlane(DataPlaneAction)
  /// Send this request to the witness (DESIGN §12).
  case sendWitnessRequest(WitnessRequest)
  /// Tell conntrackd what the new role needs (DESIGN §11); a commit comes before the batch's
  /// data-plane actions, the rest after them.
  case sessionSync(SessionSyncAction)
}

/// Why an operator request was refused; the text is shown to the operator as is.
public struct RequestRefusal: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
