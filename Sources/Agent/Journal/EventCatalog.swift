import Cluster
import Logging

/// Every operational event ccagentd logs, with its stable `MESSAGE_ID`, syslog priority and
/// documented fields (DESIGN §8). `packaging/ccagent.catalog` explains each id; the two must
/// stay in step (a test checks it). Never change an id once released: operators filter on them.
public enum EventKind: String, CaseIterable, Sendable {
  case rgStateChange = "rg-state-change"
  case rgFailover = "rg-failover"
  case interfaceMonitorFailure = "interface-monitor-failure"
  case interfaceMonitorRecovery = "interface-monitor-recovery"
  case ipMonitorFailure = "ip-monitor-failure"
  case ipMonitorRecovery = "ip-monitor-recovery"
  case controlLinkDown = "control-link-down"
  case controlLinkUp = "control-link-up"
  case fabricLinkDown = "fabric-link-down"
  case fabricLinkUp = "fabric-link-up"
  case peerLost = "peer-lost"
  case peerFound = "peer-found"
  case splitBrainDetected = "split-brain-detected"
  case splitBrainResolved = "split-brain-resolved"
  case configLoaded = "config-loaded"
  case configReloadFailed = "config-reload-failed"
  case configMismatch = "config-mismatch"
  case configMatch = "config-match"
  case manualFailoverRequested = "manual-failover-requested"
  case manualFailoverReset = "manual-failover-reset"
  case failoverCountCleared = "failover-count-cleared"
  case preemptLimitReached = "preempt-limit-reached"
  case authenticationFailure = "authentication-failure"
  case messagesSuppressed = "messages-suppressed"
  case agentxConnected = "agentx-connected"
  case agentxDisconnected = "agentx-disconnected"
  case agentStarted = "agent-started"
  case agentStopping = "agent-stopping"

  /// 128-bit id as journald writes it: 32 lowercase hex digits.
  public var messageID: String {
    switch self {
    case .rgStateChange: "11e23bc1d021448bac69cd2fbf82dc0f"
    case .rgFailover: "b8ad3c8a5edf446282af28d3bd1984ef"
    case .interfaceMonitorFailure: "3fa33e1e1c154e90affb60d3453ba22e"
    case .interfaceMonitorRecovery: "4daa62e2deda4eb590cb7416c4241c68"
    case .ipMonitorFailure: "33fa14b09ff44f9396d2e0c66212ea13"
    case .ipMonitorRecovery: "f08d04461dd44fe08f5cab627c677d38"
    case .controlLinkDown: "fe24d448c00946be96b3bb16479af665"
    case .controlLinkUp: "a2355d2bf2b7475b843ccd97a4b038b9"
    case .fabricLinkDown: "becffc5984a74a05ab602cd5c30833c3"
    case .fabricLinkUp: "4e2d14ca0b484434b796001ce138a5b2"
    case .peerLost: "ece4faa6a203475d805ecc98e4a69ddc"
    case .peerFound: "f5cb88f3e2ab43b689e2257bfdb29be0"
    case .splitBrainDetected: "403e495a1c21406cac51035e6bd6e391"
    case .splitBrainResolved: "349caec232ec4dc0869c847fd0035e03"
    case .configLoaded: "a6bca471b733436bbf61b0ab64ffc32f"
    case .configReloadFailed: "afbbd0304d654a4ea1ef757ba8ef339e"
    case .configMismatch: "1764cda9681545b2936d2a7a6a843b4d"
    case .configMatch: "299324c5a0be47b096c180f84efa0d97"
    case .manualFailoverRequested: "546f0ea293cf4e90b5a875436617b5b1"
    case .manualFailoverReset: "947cfb39fb2043fc9caaa5e2279bc3f6"
    case .failoverCountCleared: "12a65c7d6f934ad4a932eb4892474a81"
    case .preemptLimitReached: "8d0da060f19a4cf0bfcab4e540dc221b"
    case .authenticationFailure: "841dfe777c1f4154ae1962ca324c5c23"
    case .messagesSuppressed: "398b0d822dfb4342bf40b0b2426d57d5"
    case .agentxConnected: "77b5ee550f9e4c6a8421e27adc249d41"
    case .agentxDisconnected: "5b4af5a0100941bcb0cb860f73ed0a83"
    case .agentStarted: "6bcfe1a401ea44828479e1d32e382df4"
    case .agentStopping: "1ee5b3d84d6c4c42bc5a9bd30ae047c8"
    }
  }

  /// Syslog priority: 2 crit, 3 err, 4 warning, 5 notice, 6 info.
  public var priority: Int {
    switch self {
    case .controlLinkDown, .peerLost, .splitBrainDetected: 2
    case .fabricLinkDown, .configReloadFailed, .configMismatch: 3
    case .rgFailover, .interfaceMonitorFailure, .ipMonitorFailure, .splitBrainResolved,
      .preemptLimitReached, .authenticationFailure, .messagesSuppressed, .agentxDisconnected:
      4
    case .rgStateChange, .interfaceMonitorRecovery, .ipMonitorRecovery, .controlLinkUp,
      .fabricLinkUp, .peerFound, .configMatch, .manualFailoverRequested, .manualFailoverReset,
      .failoverCountCleared, .agentxConnected:
      5
    case .configLoaded, .agentStarted, .agentStopping: 6
    }
  }

  /// The swift-log level whose `PRIORITY` is `priority`.
  public var level: Logger.Level {
    switch priority {
    case ...2: .critical
    case 3: .error
    case 4: .warning
    case 5: .notice
    case 6: .info
    default: .debug
    }
  }

  /// Every record carries these first.
  public static let commonFields = ["CLUSTER_ID", "NODE_ID"]

  /// The fields a record of this kind carries, in order (`MESSAGE_ID` and the handler's own
  /// fields come on top).
  public var fields: [String] { Self.commonFields + specificFields }

  private var specificFields: [String] {
    switch self {
    case .rgStateChange, .rgFailover:
      [
        "RG_ID", "PREV_STATE", "NEW_STATE", "REASON", "FAILOVER_COUNT", "PRIORITY_LOCAL",
        "PRIORITY_PEER",
      ]
    case .interfaceMonitorFailure, .interfaceMonitorRecovery:
      [
        "RG_ID", "MONITOR_KIND", "MONITOR_INDEX", "INTERFACE", "INTERFACE_STATE", "WEIGHT",
        "THRESHOLD",
      ]
    case .ipMonitorFailure, .ipMonitorRecovery:
      [
        "RG_ID", "MONITOR_KIND", "MONITOR_INDEX", "IP_ADDRESS", "WEIGHT", "THRESHOLD",
        "GLOBAL_THRESHOLD_LEFT",
      ]
    case .controlLinkDown:
      ["PEER_NODE_ID", "MISSED_HEARTBEATS", "LAST_HEARTBEAT_AGE_MS", "HEARTBEAT_INTERVAL_MS"]
    case .fabricLinkDown:
      ["PEER_NODE_ID", "MISSED_PROBES", "LAST_PROBE_AGE_MS", "HEARTBEAT_INTERVAL_MS"]
    case .controlLinkUp, .fabricLinkUp: ["PEER_NODE_ID"]
    case .peerLost: ["PEER_NODE_ID", "LAST_MESSAGE_AGE_MS"]
    case .peerFound: ["PEER_NODE_ID", "RESTARTED"]
    case .splitBrainDetected: ["PEER_NODE_ID", "RG_IDS", "PRIORITIES_LOCAL", "PRIORITIES_PEER"]
    case .splitBrainResolved: ["RG_IDS", "WINNER_NODE_ID", "REASON"]
    case .configLoaded: ["CONFIG_FILE", "CONFIG_DIGEST"]
    case .configReloadFailed: ["CONFIG_FILE", "ERROR"]
    case .configMismatch: ["PEER_NODE_ID", "CONFIG_DIGEST", "PEER_CONFIG_DIGEST"]
    case .configMatch: ["PEER_NODE_ID", "CONFIG_DIGEST"]
    case .manualFailoverRequested: ["RG_ID", "TARGET_NODE_ID", "REQUESTED_BY"]
    case .manualFailoverReset: ["RG_ID", "REQUESTED_BY", "REASON"]
    case .failoverCountCleared: ["REQUESTED_BY"]
    case .preemptLimitReached: ["RG_ID", "LIMIT", "PERIOD"]
    case .authenticationFailure: ["SOURCE_ADDRESS", "LINK", "REASON"]
    case .messagesSuppressed:
      ["SUPPRESSED_KIND", "SUPPRESSED_KEY", "SUPPRESSED_COUNT", "INTERVAL_S"]
    case .agentxConnected, .agentxDisconnected: ["AGENTX_SOCKET"]
    case .agentStarted: ["VERSION"]
    case .agentStopping: []
    }
  }
}

/// What a record needs besides the event itself.
public struct EventContext: Sendable, Equatable {
  public var clusterID: Int
  public var nodeID: Int
  public var heartbeatIntervalMilliseconds: Int
  /// The local configuration's digest (`ConfigurationDigest.digest(of:)`).
  public var configDigest: UInt64

  public init(clusterID: Int, nodeID: Int, heartbeatIntervalMilliseconds: Int, configDigest: UInt64)
  {
    self.clusterID = clusterID
    self.nodeID = nodeID
    self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
    self.configDigest = configDigest
  }

  /// Exactly two nodes, 0 and 1 (DESIGN §3.1).
  public var peerNodeID: Int { 1 - nodeID }
}

/// One journal record: its kind, a readable one-line `MESSAGE`, and the fields in order.
public struct EventRecord: Sendable {
  public var kind: EventKind
  public var message: String
  public var fields: [(String, String)]

  public init(kind: EventKind, message: String, fields: [(String, String)]) {
    self.kind = kind
    self.message = message
    self.fields = fields
  }

  public subscript(field name: String) -> String? {
    fields.first { $0.0 == name }?.1
  }

  /// `MESSAGE_ID` plus the fields, for a swift-log call.
  public var metadata: Logger.Metadata {
    var metadata: Logger.Metadata = ["MESSAGE_ID": .string(kind.messageID)]
    for (name, value) in fields { metadata[name] = .string(value) }
    return metadata
  }
}

public enum EventCatalog {
  /// The record for an event from the state machine. Every event is logged, so this never
  /// returns `nil` today; the optional leaves room for events that are not.
  /// `sourceAddress` is the sender of a rejected datagram when the caller knows it.
  public static func record(
    for event: ClusterEvent, context: EventContext, sourceAddress: String? = nil
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
    case .datagramRejected(let link, let reason):
      if let sourceAddress {
        return authenticationFailure(
          source: sourceAddress, link: link.description, reason: reason, context: context)
      }
      return make(
        .authenticationFailure, "\(link) datagram rejected: \(reason)",
        [("SOURCE_ADDRESS", "unknown"), ("LINK", link.description), ("REASON", reason)])
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

  private static func make(
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

extension Logger {
  /// Logs an event record at its kind's level with `MESSAGE_ID` and its fields as metadata, so
  /// the journal handler writes them as fields.
  public func logEvent(
    _ record: EventRecord, file: String = #fileID, function: String = #function,
    line: UInt = #line
  ) {
    log(
      level: record.kind.level, "\(record.message)", metadata: record.metadata, file: file,
      function: function, line: line)
  }
}
