import Cluster

extension MIBView {
  /// ccSessionSyncStatus; notConfigured(6) without session-sync.
  public static func sessionSyncStatus(_ health: SessionSyncHealth?) -> Int32 {
    switch health {
    case .healthy?: 1
    case .unreachable?: 2
    case .stalled?: 3
    case .losing?: 4
    case .unknown?: 5
    case nil: 6
    }
  }
}

extension Builder {
  /// ccSessionSync: every scalar is served with or without session-sync (pollers then read
  /// notConfigured(6), zeros and false(2), rather than noSuchObject for items they poll).
  mutating func addSessionSync(_ sync: SessionSyncStatistics?) {
    typealias D = MIBDefinition
    let counters = sync?.counters
    let commit = sync?.lastCommit
    addScalars([
      (D.ccSessionSyncConfigured, .truthValue(sync != nil)),
      (D.ccSessionSyncStatus, .integer(MIBView.sessionSyncStatus(sync?.health))),
      (D.ccSessionSyncStatusDetail, .displayString(sync?.healthDetail ?? "")),
      (D.ccSessionSyncColdSync, .truthValue(sync?.coldSync ?? false)),
      (D.ccSessionSyncLocalSessions, gauge(counters?.internalCache.active)),
      (D.ccSessionSyncExternalSessions, gauge(counters?.externalCache.active)),
      (D.ccSessionSyncMessagesSent, .counter64(counters?.packetsSent ?? 0)),
      (D.ccSessionSyncMessagesReceived, .counter64(counters?.packetsReceived ?? 0)),
      (D.ccSessionSyncMessagesLost, .counter64(counters?.lostMessages ?? 0)),
      (D.ccSessionSyncMessagesMalformed, .counter64(counters?.malformedMessages ?? 0)),
      (D.ccSessionSyncCommits, counter(sync?.commits)),
      (D.ccSessionSyncCommitTimeouts, counter(sync?.commitTimeouts)),
      (D.ccSessionSyncLastCommitSessions, gauge(commit?.sessions)),
      (D.ccSessionSyncLastCommitDuration, gauge(commit.map { UInt64(max(0, $0.milliseconds)) })),
      (D.ccSessionSyncLastCommitTimedOut, .truthValue(commit?.timedOut ?? false)),
    ])
  }

  /// A Gauge32 of a count the snapshot keeps in 64 bits: it sticks at 2^32-1 (RFC 2578 §7.1.7).
  func gauge(_ value: UInt64?) -> SNMPValue { .unsigned(UInt32(clamping: value ?? 0)) }

  /// A Counter32 of a count the snapshot keeps in 64 bits: the truncation is the wrap.
  func counter(_ value: UInt64?) -> SNMPValue {
    .counter32(UInt32(truncatingIfNeeded: value ?? 0))
  }
}
