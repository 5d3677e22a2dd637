/// ccSessionSync (DESIGN §11): conntrackd's sync health and counters, cold sync and the
/// commits before the reths come up, and their notifications.
extension MIBDefinition {
  public static let ccSessionSyncConfigured = sessionSync(
    "ccSessionSyncConfigured", 1, "TruthValue", .integer32)
  public static let ccSessionSyncStatus = sessionSync(
    "ccSessionSyncStatus", 2, "INTEGER", .integer32)
  public static let ccSessionSyncStatusDetail = sessionSync(
    "ccSessionSyncStatusDetail", 3, "DisplayString", .octetString)
  public static let ccSessionSyncColdSync = sessionSync(
    "ccSessionSyncColdSync", 4, "TruthValue", .integer32)
  public static let ccSessionSyncLocalSessions = sessionSync(
    "ccSessionSyncLocalSessions", 5, "Gauge32", .unsigned32)
  public static let ccSessionSyncExternalSessions = sessionSync(
    "ccSessionSyncExternalSessions", 6, "Gauge32", .unsigned32)
  public static let ccSessionSyncMessagesSent = sessionSync(
    "ccSessionSyncMessagesSent", 7, "Counter64", .counter64)
  public static let ccSessionSyncMessagesReceived = sessionSync(
    "ccSessionSyncMessagesReceived", 8, "Counter64", .counter64)
  public static let ccSessionSyncMessagesLost = sessionSync(
    "ccSessionSyncMessagesLost", 9, "Counter64", .counter64)
  public static let ccSessionSyncMessagesMalformed = sessionSync(
    "ccSessionSyncMessagesMalformed", 10, "Counter64", .counter64)
  public static let ccSessionSyncCommits = sessionSync(
    "ccSessionSyncCommits", 11, "Counter32", .counter32)
  public static let ccSessionSyncCommitTimeouts = sessionSync(
    "ccSessionSyncCommitTimeouts", 12, "Counter32", .counter32)
  public static let ccSessionSyncLastCommitSessions = sessionSync(
    "ccSessionSyncLastCommitSessions", 13, "Gauge32", .unsigned32)
  public static let ccSessionSyncLastCommitDuration = sessionSync(
    "ccSessionSyncLastCommitDuration", 14, "Gauge32", .unsigned32)
  public static let ccSessionSyncLastCommitTimedOut = sessionSync(
    "ccSessionSyncLastCommitTimedOut", 15, "TruthValue", .integer32)

  public static let ccSessionSyncDown = notification(
    "ccSessionSyncDown", 20,
    [
      ccLocalNodeId, ccSessionSyncStatus, ccSessionSyncStatusDetail, ccSessionSyncMessagesLost,
    ])
  public static let ccSessionSyncUp = notification(
    "ccSessionSyncUp", 21,
    [
      ccLocalNodeId, ccSessionSyncStatus, ccSessionSyncStatusDetail, ccSessionSyncMessagesLost,
    ])
  public static let ccSessionCommitTimedOut = notification(
    "ccSessionCommitTimedOut", 22,
    [
      ccLocalNodeId, ccSessionSyncLastCommitSessions, ccSessionSyncLastCommitDuration,
      ccSessionSyncCommitTimeouts,
    ])

  /// In file order.
  static let sessionSyncObjects: [MIBObject] = [
    ccSessionSyncConfigured, ccSessionSyncStatus, ccSessionSyncStatusDetail,
    ccSessionSyncColdSync, ccSessionSyncLocalSessions, ccSessionSyncExternalSessions,
    ccSessionSyncMessagesSent, ccSessionSyncMessagesReceived, ccSessionSyncMessagesLost,
    ccSessionSyncMessagesMalformed, ccSessionSyncCommits, ccSessionSyncCommitTimeouts,
    ccSessionSyncLastCommitSessions, ccSessionSyncLastCommitDuration,
    ccSessionSyncLastCommitTimedOut,
  ]
  static let sessionSyncNotifications = [
    ccSessionSyncDown, ccSessionSyncUp, ccSessionCommitTimedOut,
  ]

  private static func sessionSync(
    _ name: String, _ arc: UInt32, _ syntax: String, _ type: SMIType
  ) -> MIBObject {
    scalar(name, arc, syntax, type, under: sessionSyncRoot)
  }
}
