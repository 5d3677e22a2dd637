import Cluster

/// ccSessionSyncDown/Up and ccSessionCommitTimedOut. Cold sync has its journald records and
/// the CS failure code (in ccRgNodeFailureCodes and ccRgStateChange) but no notification.
extension NotificationContext {
  func sessionSync(_ event: SessionSyncEvent) -> [SNMPNotification] {
    typealias D = MIBDefinition
    switch event {
    case .healthChanged(_, let to, let detail):
      // The status the event reached (the view may already show a later poll's).
      return [
        notification(
          to == .healthy ? D.ccSessionSyncUp : D.ccSessionSyncDown,
          [
            localNodeId,
            scalar(D.ccSessionSyncStatus, .integer(MIBView.sessionSyncStatus(to))),
            scalar(D.ccSessionSyncStatusDetail, .displayString(detail)),
            current(D.ccSessionSyncMessagesLost),
          ])
      ]
    case .committed(let commit) where commit.timedOut:
      return [
        notification(
          D.ccSessionCommitTimedOut,
          [
            localNodeId,
            scalar(D.ccSessionSyncLastCommitSessions, .unsigned(UInt32(clamping: commit.sessions))),
            scalar(
              D.ccSessionSyncLastCommitDuration,
              .unsigned(UInt32(clamping: max(0, commit.milliseconds)))),
            current(D.ccSessionSyncCommitTimeouts),
          ])
      ]
    case .committed, .coldSyncStarted, .coldSyncCompleted, .coldSyncTimedOut, .coldSyncAbandoned:
      return []
    }
  }
}
