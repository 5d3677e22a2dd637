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

  /// Session-sync settings without the conntrackd file they drive; and a peer declared lost
  /// sooner than conntrackd's own work after a failover can delay heartbeats.
  mutating func checkSessionSync() {
    guard let sync = configuration.sessionSync, let origin = sessionSyncOrigin else { return }
    if sync.conntrackdConfig.isEmpty {
      report(
        .error, line: origin.line, column: origin.column,
        "session-sync needs 'set chassis cluster session-sync conntrackd config <file>'")
    }
    let detection = configuration.heartbeatIntervalMilliseconds * configuration.heartbeatThreshold
    if detection < Self.sessionSyncMinimumDetectionMilliseconds {
      report(
        .warning, line: origin.line, column: origin.column,
        "session-sync with a peer declared lost after \(detection) ms "
          + "(heartbeat-interval × heartbeat-threshold): after each failover conntrackd "
          + "commits, dumps and bulk-sends the whole session table on both nodes, which can "
          + "delay heartbeats past that and make a live peer look lost (a split brain each "
          + "time); use at least \(Self.sessionSyncMinimumDetectionMilliseconds) ms")
    }
  }

  /// Measured in the session bench, two cores, ≈ 8 000 sessions: at 10 ms heartbeats
  /// (30 ms) live peers were taken for lost 17 times in one phase even with the agent at
  /// SCHED_RR (46 without), at 100 ms (300 ms) never.
  static let sessionSyncMinimumDetectionMilliseconds = 100
}
