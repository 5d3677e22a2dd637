extension ConfigurationParser {
  /// `set chassis cluster session-sync conntrackd config FILE | commit-timeout MS |
  /// cold-sync-timeout S | health warn|failure`.
  mutating func sessionSync(_ c: inout StatementCursor) throws(StatementError) {
    let key = try c.word("conntrackd, commit-timeout, cold-sync-timeout or health")
    var sync = configuration.sessionSync ?? SessionSyncConfiguration(conntrackdConfig: "")
    switch key.text {
    case "conntrackd":
      try c.keyword("config")
      sync.conntrackdConfig = try c.path("session-sync conntrackd config")
    case "commit-timeout":
      sync.commitTimeoutMilliseconds = try c.integer(
        "session-sync commit-timeout (milliseconds)", 100...60000)
    case "cold-sync-timeout":
      sync.coldSyncTimeoutSeconds = try c.integer(
        "session-sync cold-sync-timeout (seconds)", 1...3600)
    case "health":
      let action = try c.word("warn or failure")
      guard let value = SessionSyncConfiguration.HealthAction(rawValue: action.text) else {
        throw StatementError(
          column: action.column,
          message: "session-sync health must be warn or failure, not '\(action.text)'")
      }
      sync.healthAction = value
    default:
      throw StatementError(
        column: key.column,
        message: "unknown session-sync statement '\(key.text)': expected conntrackd, "
          + "commit-timeout, cold-sync-timeout or health")
    }
    if sessionSyncOrigin == nil { sessionSyncOrigin = (c.line, key.column) }
    configuration.sessionSync = sync
  }

  /// Session-sync settings without the conntrackd file they drive.
  mutating func checkSessionSync() {
    guard let sync = configuration.sessionSync, sync.conntrackdConfig.isEmpty,
      let origin = sessionSyncOrigin
    else { return }
    report(
      .error, line: origin.line, column: origin.column,
      "session-sync needs 'set chassis cluster session-sync conntrackd config <file>'")
  }
}
