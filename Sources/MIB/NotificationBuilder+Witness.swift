import Cluster

/// The split-brain prevention notifications (DESIGN §12): the LAN heartbeat path and the
/// witness.
extension NotificationContext {
  func lanLink(_ definition: MIBObject, up: Bool) -> SNMPNotification {
    notification(
      definition,
      [
        localNodeId,
        scalar(
          MIBDefinition.ccLanLinkStatus, .integer(MIBView.lanLinkStatus(up ? .up : .down))),
        current(MIBDefinition.ccLanHeartbeatsReceived),
      ])
  }

  /// ccWitnessLost and ccWitnessFound: the status the event reached, then one more varbind.
  private func witnessStatus(
    _ definition: MIBObject, _ reachability: WitnessReachability, _ then: VarBind?
  ) -> SNMPNotification {
    notification(
      definition,
      [
        localNodeId,
        scalar(MIBDefinition.ccWitnessStatus, .integer(MIBView.witnessStatus(reachability))),
        then,
      ])
  }

  func witness(_ event: WitnessEvent) -> [SNMPNotification] {
    typealias D = MIBDefinition
    switch event {
    case .lost:
      return [witnessStatus(D.ccWitnessLost, .lost, current(D.ccWitnessLastContact))]
    case .found:
      return [witnessStatus(D.ccWitnessFound, .up, current(D.ccWitnessGrantHolder))]
    case .grantChanged(let holder, let confirmed):
      return [
        notification(
          D.ccWitnessGrantChange,
          [
            localNodeId,
            scalar(D.ccWitnessGrantHolder, .integer(Int32(clamping: holder ?? -1))),
            scalar(D.ccWitnessGrantConfirmed, .truthValue(confirmed)),
          ])
      ]
    case .rejected:
      // A rejected datagram is counted (ccWitnessRepliesRejected) and logged at a bounded
      // rate; a trap per forged datagram would let anyone flood the trap receiver.
      return []
    }
  }
}
