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
  case lanLinkDown = "lan-link-down"
  case lanLinkUp = "lan-link-up"
  case witnessLost = "witness-lost"
  case witnessFound = "witness-found"
  case witnessGrant = "witness-grant"
  case coldSync = "cold-sync"
  case sessionCommit = "session-commit"
  case sessionCommitTimeout = "session-commit-timeout"
  case sessionSyncHealth = "session-sync-health"
  case rethStatusChange = "reth-status-change"
  case rethRestored = "reth-restored"

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
    case .lanLinkDown: "789fb72286894861aef38f03350cb563"
    case .lanLinkUp: "82341c6d6fb04ef0b38b12246274a644"
    case .witnessLost: "368fc0b4ef2048d9a8e6f97dc9877105"
    case .witnessFound: "e6e87567b3e446018d756c5a243d8974"
    case .witnessGrant: "cff58f95d6fa4f5e86448974946ad274"
    case .coldSync: "aed4c975ce674306b9cc7c81210d4926"
    case .sessionCommit: "6685fb15487049028c74376689c30201"
    case .sessionCommitTimeout: "215152000fa24b5b8c7a32076bcf64e9"
    case .sessionSyncHealth: "8b39011bfc7043499252fc73627ecab1"
    case .rethStatusChange: "07cd4b4eb69a4d05a51f4846c00027e2"
    case .rethRestored: "a3d05fce26124af79c6f5898ae9b30a8"
    }
  }

  /// Syslog priority: 2 crit, 3 err, 4 warning, 5 notice, 6 info.
  public var priority: Int {
    switch self {
    case .controlLinkDown, .peerLost, .splitBrainDetected: 2
    case .fabricLinkDown, .configReloadFailed, .configMismatch: 3
    case .rgFailover, .interfaceMonitorFailure, .ipMonitorFailure, .splitBrainResolved,
      .preemptLimitReached, .authenticationFailure, .messagesSuppressed, .agentxDisconnected,
      .sessionCommitTimeout, .sessionSyncHealth, .rethRestored:
      4
    case .rgStateChange, .interfaceMonitorRecovery, .ipMonitorRecovery, .controlLinkUp,
      .fabricLinkUp, .peerFound, .configMatch, .manualFailoverRequested, .manualFailoverReset,
      .failoverCountCleared, .agentxConnected, .coldSync, .rethStatusChange:
      5
    case .configLoaded, .agentStarted, .agentStopping, .sessionCommit: 6
    case .lanLinkDown, .witnessLost: 3
    case .lanLinkUp, .witnessFound, .witnessGrant: 5
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
    case .lanLinkDown:
      ["PEER_NODE_ID", "MISSED_HEARTBEATS", "LAST_HEARTBEAT_AGE_MS", "HEARTBEAT_INTERVAL_MS"]
    case .lanLinkUp: ["PEER_NODE_ID"]
    case .witnessLost: ["WITNESS_ADDRESS", "LAST_CONTACT_AGE_MS"]
    case .witnessFound: ["WITNESS_ADDRESS"]
    case .witnessGrant: ["WITNESS_ADDRESS", "GRANT_HOLDER", "GRANT_CONFIRMED"]
    case .coldSync: ["COLD_SYNC", "DURATION_MS", "SESSIONS", "REASON"]
    case .sessionCommit, .sessionCommitTimeout:
      ["RG_IDS", "SESSIONS", "DURATION_MS", "ERROR"]
    case .sessionSyncHealth: ["PREV_HEALTH", "NEW_HEALTH", "REASON"]
    case .rethStatusChange: ["RG_ID", "INTERFACE", "RETH_STATE", "IP_ADDRESSES"]
    case .rethRestored:
      ["RG_ID", "INTERFACE", "LINK_RESTORED", "IP_ADDRESSES", "RESTORE_COUNT"]
    }
  }
}
