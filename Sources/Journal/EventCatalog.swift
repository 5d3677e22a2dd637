import Cluster
import Logging

public enum EventCatalog {
  /// The record for an event from the state machine. Every event is logged, so this never
  /// returns `nil` today; the optional leaves room for events that are not.
  public static func record(
    for event: ClusterEvent, context: EventContext
  ) -> EventRecord? {
    let peer = String(context.peerNodeID)
    let interval = String(context.heartbeatIntervalMilliseconds)
    func make(_ kind: EventKind, _ message: String, _ fields: [(String, String)]) -> EventRecord {
      EventCatalog.make(kind, message, context, fields)
    }
    switch event {
    case .groupStateChanged(let c):
      // A failover in the trap sense: this node takes over, not an election out of hold.
      let kind: EventKind = c.becamePrimary && !c.isFromHold ? .rgFailover : .rgStateChange
      return make(
        kind, event.summary,
        [
          ("RG_ID", String(c.group)), ("PREV_STATE", c.from.description),
          ("NEW_STATE", c.to.description), ("REASON", c.reason),
          ("FAILOVER_COUNT", String(c.failoverCount)),
          ("PRIORITY_LOCAL", String(c.localPriority)),
          ("PRIORITY_PEER", c.peerPriority.map(String.init) ?? "unknown"),
        ])
    case .interfaceMonitorChanged(let c):
      return make(
        c.state.isUp ? .interfaceMonitorRecovery : .interfaceMonitorFailure, event.summary,
        [
          ("RG_ID", String(c.group)), ("MONITOR_KIND", "interface"),
          ("MONITOR_INDEX", String(c.index)), ("INTERFACE", c.interface),
          ("INTERFACE_STATE", c.state.rawValue), ("WEIGHT", String(c.monitorWeight)),
          ("THRESHOLD", String(c.groupWeight)),
        ])
    case .ipMonitorChanged(let c):
      return make(
        c.reachable ? .ipMonitorRecovery : .ipMonitorFailure, event.summary,
        [
          ("RG_ID", String(c.group)), ("MONITOR_KIND", "ip"), ("MONITOR_INDEX", String(c.index)),
          ("IP_ADDRESS", c.address), ("WEIGHT", String(c.monitorWeight)),
          ("THRESHOLD", String(c.groupWeight)),
          ("GLOBAL_THRESHOLD_LEFT", String(c.remainingThreshold)),
        ])
    case .controlLinkDown(let missed, let age):
      return make(
        .controlLinkDown,
        "control link to node\(peer) down (\(missed) heartbeats missed, last \(ago(age)))",
        [
          ("PEER_NODE_ID", peer), ("MISSED_HEARTBEATS", String(missed)),
          ("LAST_HEARTBEAT_AGE_MS", milliseconds(age)), ("HEARTBEAT_INTERVAL_MS", interval),
        ])
    case .controlLinkUp:
      return make(.controlLinkUp, "control link to node\(peer) up", [("PEER_NODE_ID", peer)])
    case .fabricLinkDown(let missed, let age):
      return make(
        .fabricLinkDown,
        "fabric link to node\(peer) down (\(missed) probes missed, last \(ago(age)))",
        [
          ("PEER_NODE_ID", peer), ("MISSED_PROBES", String(missed)),
          ("LAST_PROBE_AGE_MS", milliseconds(age)), ("HEARTBEAT_INTERVAL_MS", interval),
        ])
    case .fabricLinkUp:
      return make(.fabricLinkUp, "fabric link to node\(peer) up", [("PEER_NODE_ID", peer)])
    case .peerLost(let age):
      return make(
        .peerLost, "peer node\(peer) lost (last message \(ago(age)))",
        [("PEER_NODE_ID", peer), ("LAST_MESSAGE_AGE_MS", milliseconds(age))])
    case .peerFound(let restarted):
      return make(
        .peerFound, "peer node\(peer) found" + (restarted ? " (restarted)" : ""),
        [("PEER_NODE_ID", peer), ("RESTARTED", restarted ? "yes" : "no")])
    case .splitBrainDetected(let s):
      let local = list(s.localPriorities)
      let remote = list(s.peerPriorities)
      return make(
        .splitBrainDetected,
        event.summary + " (priorities local \(local), node\(peer) \(remote))",
        [
          ("PEER_NODE_ID", peer), ("RG_IDS", list(s.groups)), ("PRIORITIES_LOCAL", local),
          ("PRIORITIES_PEER", remote),
        ])
    case .splitBrainResolved(let r):
      return make(
        .splitBrainResolved, event.summary,
        [("RG_IDS", list(r.groups)), ("WINNER_NODE_ID", String(r.winner)), ("REASON", r.reason)])
    case .configMismatch(let local, let remote):
      return make(
        .configMismatch,
        "configuration differs from node\(peer)'s (digest \(digest(local)), "
          + "node\(peer) \(digest(remote)))",
        [
          ("PEER_NODE_ID", peer), ("CONFIG_DIGEST", digest(local)),
          ("PEER_CONFIG_DIGEST", digest(remote)),
        ])
    case .configMatch:
      return make(
        .configMatch, "configuration matches node\(peer)'s again",
        [("PEER_NODE_ID", peer), ("CONFIG_DIGEST", digest(context.configDigest))])
    case .manualFailoverRequested(let group, let node, let requestedBy):
      return make(
        .manualFailoverRequested, event.summary,
        [
          ("RG_ID", String(group)), ("TARGET_NODE_ID", String(node)),
          ("REQUESTED_BY", requestedBy.map(String.init) ?? "unknown"),
        ])
    case .manualFailoverReset(let group, let requestedBy, let reason):
      // The state machine resets by itself (failback) with no requester.
      return make(
        .manualFailoverReset, event.summary,
        [
          ("RG_ID", String(group)), ("REQUESTED_BY", requestedBy.map(String.init) ?? "agent"),
          ("REASON", reason),
        ])
    case .failoverCountCleared(let requestedBy):
      return make(
        .failoverCountCleared, event.summary,
        [("REQUESTED_BY", requestedBy.map(String.init) ?? "unknown")])
    case .preemptLimitReached(let group, let limit, let period):
      return make(
        .preemptLimitReached, event.summary,
        [("RG_ID", String(group)), ("LIMIT", String(limit)), ("PERIOD", String(period))])
    case .datagramRejected(let link, let source, let reason):
      return authenticationFailure(
        source: source, link: link.description, reason: reason, context: context)
    case .lanLinkDown(let missed, let age):
      return make(
        .lanLinkDown,
        "LAN heartbeat from node\(peer) lost (\(missed) heartbeats missed, last \(ago(age)))",
        [
          ("PEER_NODE_ID", peer), ("MISSED_HEARTBEATS", String(missed)),
          ("LAST_HEARTBEAT_AGE_MS", milliseconds(age)), ("HEARTBEAT_INTERVAL_MS", interval),
        ])
    case .lanLinkUp:
      return make(.lanLinkUp, "LAN heartbeat from node\(peer) up", [("PEER_NODE_ID", peer)])
    case .witness(let w):
      return witnessRecord(w, context: context)
    case .rethStatusChanged(let c):
      return make(
        .rethStatusChange, event.summary,
        [
          ("RG_ID", String(c.group)), ("INTERFACE", c.reth),
          ("RETH_STATE", c.active ? "up" : "down"),
          ("IP_ADDRESSES", list(c.addresses.map(\.description))),
        ])
    case .rethRestored(let r):
      return make(
        .rethRestored,
        "\(r.reth) was changed by someone else on the primary and is restored (\(r.what))",
        [
          ("RG_ID", String(r.group)), ("INTERFACE", r.reth),
          ("LINK_RESTORED", r.linkRestored ? "yes" : "no"),
          ("IP_ADDRESSES", list(r.addresses.map(\.address.description))),
          ("RESTORE_COUNT", String(r.restores)),
        ])
    case .sessionSync(let e):
      return sessionSync(e, summary: event.summary, context: context)
    }
  }

  private static func sessionSync(
    _ event: SessionSyncEvent, summary: String, context: EventContext
  ) -> EventRecord {
    func coldSync(_ what: String, ms: Int64?, sessions: UInt64?, reason: String) -> EventRecord {
      make(
        .coldSync, summary, context,
        [
          ("COLD_SYNC", what), ("DURATION_MS", milliseconds(ms)),
          ("SESSIONS", sessions.map { String($0) } ?? "unknown"), ("REASON", reason),
        ])
    }
    switch event {
    case .coldSyncStarted:
      return coldSync(
        "started", ms: nil, sessions: nil, reason: "waiting for the primary's bulk sync")
    case .coldSyncCompleted(let ms, let sessions):
      return coldSync("completed", ms: ms, sessions: sessions, reason: "bulk sync received")
    case .coldSyncTimedOut(let seconds):
      return coldSync(
        "timed-out", ms: Int64(seconds) * 1000, sessions: nil,
        reason: "no bulk sync within cold-sync-timeout")
    case .coldSyncAbandoned(let reason):
      return coldSync("abandoned", ms: nil, sessions: nil, reason: reason)
    case .committed(let c):
      return make(
        c.timedOut ? .sessionCommitTimeout : .sessionCommit, summary, context,
        [
          ("RG_IDS", list(c.groups)), ("SESSIONS", String(c.sessions)),
          ("DURATION_MS", String(c.milliseconds)), ("ERROR", c.error ?? "none"),
        ])
    case .healthChanged(let from, let to, let detail):
      return make(
        .sessionSyncHealth, summary, context,
        [("PREV_HEALTH", from.rawValue), ("NEW_HEALTH", to.rawValue), ("REASON", detail)])
    }
  }

  // MARK: - Events of the shell, not of the state machine

  public static func configLoaded(path: String, context: EventContext) -> EventRecord {
    let d = digest(context.configDigest)
    return make(
      .configLoaded, "configuration loaded from \(path) (digest \(d))", context,
      [("CONFIG_FILE", path), ("CONFIG_DIGEST", d)])
  }

  /// The old configuration stays in force.
  public static func configReloadFailed(path: String, error: String, context: EventContext)
    -> EventRecord
  {
    make(
      .configReloadFailed, "configuration reload from \(path) failed: \(error)", context,
      [("CONFIG_FILE", path), ("ERROR", error)])
  }

  /// The summary of a rate-limited key; `kind` is what was suppressed.
  public static func messagesSuppressed<Instant>(
    _ summary: RateLimiter<Instant>.Summary, kind: EventKind, context: EventContext
  ) -> EventRecord {
    messagesSuppressed(
      kind: kind, key: summary.key, count: summary.suppressed, window: summary.window,
      context: context)
  }

  public static func messagesSuppressed(
    kind: EventKind, key: String, count: Int, window: Duration, context: EventContext
  ) -> EventRecord {
    let interval = seconds(window)
    return make(
      .messagesSuppressed,
      "suppressed \(count) \(kind.rawValue) messages for \(key) within \(interval) s", context,
      [
        ("SUPPRESSED_KIND", kind.rawValue), ("SUPPRESSED_KEY", key),
        ("SUPPRESSED_COUNT", String(count)), ("INTERVAL_S", interval),
      ])
  }

  /// A rejected datagram whose sender the transport knows (the state machine's
  /// `datagramRejected` event has no address). Rate-limit these per source.
  public static func authenticationFailure(
    source: String, link: String, reason: String, context: EventContext
  ) -> EventRecord {
    make(
      .authenticationFailure, "\(link) datagram from \(source) rejected: \(reason)", context,
      [("SOURCE_ADDRESS", source), ("LINK", link), ("REASON", reason)])
  }

  public static func agentxConnected(socket: String, context: EventContext) -> EventRecord {
    make(
      .agentxConnected, "AgentX session with snmpd at \(socket) established", context,
      [("AGENTX_SOCKET", socket)])
  }

  public static func agentxDisconnected(socket: String, context: EventContext) -> EventRecord {
    make(
      .agentxDisconnected, "AgentX session with snmpd at \(socket) lost", context,
      [("AGENTX_SOCKET", socket)])
  }

  public static func agentStarted(version: String, context: EventContext) -> EventRecord {
    make(
      .agentStarted,
      "ccagentd \(version) started as node\(context.nodeID) of cluster \(context.clusterID)",
      context, [("VERSION", version)])
  }

  public static func agentStopping(context: EventContext) -> EventRecord {
    make(.agentStopping, "ccagentd stopping", context, [])
  }

  // MARK: - Formatting

  /// The 64-bit heartbeat digest as 16 lowercase hex digits.
  public static func digest(_ value: UInt64) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  static func make(
    _ kind: EventKind, _ message: String, _ context: EventContext, _ fields: [(String, String)]
  ) -> EventRecord {
    EventRecord(
      kind: kind, message: message,
      fields: [("CLUSTER_ID", String(context.clusterID)), ("NODE_ID", String(context.nodeID))]
        + fields)
  }

  /// `nil`: nothing heard since start.
  private static func milliseconds(_ value: Int64?) -> String {
    value.map(String.init) ?? "never"
  }

  private static func ago(_ value: Int64?) -> String {
    value.map { "\($0) ms ago" } ?? "never"
  }

  private static func list(_ values: [Int]) -> String {
    values.map(String.init).joined(separator: ",")
  }

  /// "192.0.2.1/24,2001:db8::1/64", or "none".
  private static func list(_ values: [String]) -> String {
    values.isEmpty ? "none" : values.joined(separator: ",")
  }

  private static func seconds(_ duration: Duration) -> String {
    let (whole, attoseconds) = duration.components
    guard attoseconds != 0 else { return String(whole) }
    let millis = String(attoseconds / 1_000_000_000_000_000)
    return "\(whole)." + String(repeating: "0", count: max(0, 3 - millis.count)) + millis
  }
}

extension EventCatalog {
  /// `logger.logEvent(record)`, for call sites that read better this way round.
  public static func log(
    _ record: EventRecord, to logger: Logger, file: String = #fileID,
    function: String = #function, line: UInt = #line
  ) {
    logger.logEvent(record, file: file, function: function, line: line)
  }
}
