import Cluster
import Prometheus

/// One metric name of the Prometheus endpoint with its type and help text: the list the
/// README's Prometheus section documents (AgentTests hold the two against each other).
struct MetricFamily: Sendable, Equatable {
  enum Kind: String, Sendable { case gauge, counter }

  let name: String
  let kind: Kind
  let help: String

  static let buildInfo = gauge("ccagent_build_info", "Always 1; the version label is the release")
  static let up = gauge(
    "ccagent_up", "1 once the agent has published its first snapshot (0 while it is starting)")
  static let clusterID = gauge("ccagent_cluster_id", "The configured cluster-id")
  static let localNode = gauge("ccagent_local_node", "This agent's node id (0 or 1)")
  static let peerUp = gauge("ccagent_peer_up", "1 while the peer is heard, else 0")
  static let configMismatch = gauge(
    "ccagent_config_mismatch", "1 while the peer announces a different configuration digest")
  static let linkUp = gauge(
    "ccagent_link_up", "1 while the control or fabric link (or the LAN heartbeat path) is up")
  static let linkSent = counter(
    "ccagent_link_sent_total",
    "Messages sent: heartbeats on the control link and the LAN path, probes on fabric")
  static let linkReceived = counter(
    "ccagent_link_received_total",
    "Messages accepted: heartbeats on the control link and the LAN path, probes on fabric")
  static let linkRejected = counter(
    "ccagent_link_rejected_total",
    "Datagrams rejected (malformed, unauthenticated, replayed or foreign) per link")
  static let splitBrains = counter(
    "ccagent_split_brain_detected_total", "Split brains detected since the agent started")
  static let splitBrainActive = gauge(
    "ccagent_redundancy_group_split_brain", "1 while the redundancy group is in split brain")
  static let failovers = counter(
    "ccagent_redundancy_group_failovers_total",
    "Failovers of the redundancy group (`clear failover-count` resets it)")
  static let manualFailover = gauge(
    "ccagent_redundancy_group_manual_failover", "1 while a manual failover is in effect")
  static let state = gauge(
    "ccagent_redundancy_group_state",
    "State per node, as CHASSIS-CLUSTER-MIB's CcRedundancyGroupState: " + stateNumbers)
  static let priority = gauge(
    "ccagent_redundancy_group_priority",
    "Effective priority per node (0: weight spent or node out, 255: manual failover)")
  static let configuredPriority = gauge(
    "ccagent_redundancy_group_configured_priority", "Configured priority per node")
  static let weight = gauge(
    "ccagent_redundancy_group_weight", "Remaining weight per node (none for a lost peer)")
  static let failure = gauge(
    "ccagent_redundancy_group_failure",
    "1 while the failure code (Junos abbreviation: CS, CF, FL, IF, IP) affects the node")
  static let interfaceMonitorUp = gauge(
    "ccagent_interface_monitor_up", "1 while the monitored interface is up on this node")
  static let interfaceMonitorWeight = gauge(
    "ccagent_interface_monitor_weight", "Configured weight of the interface monitor")
  static let ipMonitorReachable = gauge(
    "ccagent_ip_monitor_reachable", "1 while the monitored address answers from this node")
  static let ipMonitorFailures = gauge(
    "ccagent_ip_monitor_consecutive_failures", "Unanswered pings in a row")
  static let ipMonitorWeight = gauge(
    "ccagent_ip_monitor_weight", "Configured weight of the IP monitor")
  static let rethUp = gauge(
    "ccagent_reth_up", "1 while at least one of this node's reth members has carrier")
  static let rethActive = gauge(
    "ccagent_reth_active", "1 while this node holds the reth (its redundancy group's primary)")
  static let rethMembers = gauge("ccagent_reth_members", "This node's member interfaces")
  static let rethAddresses = gauge("ccagent_reth_addresses", "Configured addresses")
  static let rethGroup = gauge("ccagent_reth_redundancy_group", "The reth's redundancy group")
  static let sessionSyncStatus = gauge(
    "ccagent_session_sync_status",
    "conntrackd's sync health, as CHASSIS-CLUSTER-MIB's ccSessionSyncStatus: "
      + "1=healthy 2=unreachable 3=stalled 4=losing 5=unknown")
  static let sessionSyncColdSync = gauge(
    "ccagent_session_sync_cold_sync", "1 while cold sync (CS) waits for the primary's bulk sync")
  static let sessionSyncSessions = gauge(
    "ccagent_session_sync_sessions",
    "Sessions in conntrackd's caches (internal: this node's, external: the peer's)")
  static let sessionSyncSent = counter(
    "ccagent_session_sync_messages_sent_total", "Sync messages conntrackd sent")
  static let sessionSyncReceived = counter(
    "ccagent_session_sync_messages_received_total", "Sync messages conntrackd received")
  static let sessionSyncLost = counter(
    "ccagent_session_sync_messages_lost_total", "Sync messages conntrackd counted as lost")
  static let sessionSyncMalformed = counter(
    "ccagent_session_sync_messages_malformed_total", "Malformed sync messages conntrackd received")
  static let sessionCommits = counter(
    "ccagent_session_sync_commits_total", "Commits of the peer's sessions before reths came up")
  static let sessionCommitTimeouts = counter(
    "ccagent_session_sync_commit_timeouts_total",
    "Commits that did not finish within commit-timeout (the reths came up anyway)")
  static let lastCommitSessions = gauge(
    "ccagent_session_sync_last_commit_sessions", "Sessions the last commit put into the kernel")
  static let lastCommitDuration = gauge(
    "ccagent_session_sync_last_commit_duration_seconds", "How long the last commit took")
  static let lastCommitTimedOut = gauge(
    "ccagent_session_sync_last_commit_timed_out", "1 if the last commit timed out or failed")
  static let witnessStatus = gauge(
    "ccagent_witness_status",
    "The witness as this node sees it, as CHASSIS-CLUSTER-MIB's ccWitnessStatus: "
      + "1=reachable 2=unreachable 3=unknown")
  static let witnessGrantHolder = gauge(
    "ccagent_witness_grant_holder", "The node holding the witness's grant (-1: nobody)")
  static let witnessHoldsGrant = gauge(
    "ccagent_witness_holds_grant", "1 while this node holds a confirmed, vouched grant")
  static let witnessClaiming = gauge(
    "ccagent_witness_claiming", "1 while this node hears its peer on no path and asks for the grant"
  )
  static let witnessLastContactAge = gauge(
    "ccagent_witness_last_contact_age_seconds",
    "Time since the witness's last counted answer (absent before the first)")
  static let witnessRequests = counter(
    "ccagent_witness_requests_sent_total", "Requests sent to the witness")
  static let witnessReplies = counter(
    "ccagent_witness_replies_received_total", "Authenticated answers of the witness")
  static let witnessRejected = counter(
    "ccagent_witness_replies_rejected_total", "Datagrams on the witness socket that were dropped")

  static let all: [MetricFamily] = [
    buildInfo, up, clusterID, localNode, peerUp, configMismatch, linkUp, linkSent, linkReceived,
    linkRejected, splitBrains, splitBrainActive, failovers, manualFailover, state, priority,
    configuredPriority, weight, failure, interfaceMonitorUp, interfaceMonitorWeight,
    ipMonitorReachable, ipMonitorFailures, ipMonitorWeight, rethUp, rethActive, rethMembers,
    rethAddresses, rethGroup, sessionSyncStatus, sessionSyncColdSync, sessionSyncSessions,
    sessionSyncSent, sessionSyncReceived, sessionSyncLost, sessionSyncMalformed, sessionCommits,
    sessionCommitTimeouts, lastCommitSessions, lastCommitDuration, lastCommitTimedOut,
    witnessStatus, witnessGrantHolder, witnessHoldsGrant, witnessClaiming, witnessLastContactAge,
    witnessRequests, witnessReplies, witnessRejected,
  ]

  /// The whole name as one part: the families are written out in full, as the README lists them.
  var descriptor: MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
  }

  /// "1=hold 2=primary …", from the enum itself.
  static var stateNumbers: String {
    RedundancyGroupState.allCases.map { "\($0.rawValue)=\($0)" }.joined(separator: " ")
  }

  private static func gauge(_ name: String, _ help: String) -> MetricFamily {
    MetricFamily(name: name, kind: .gauge, help: help)
  }

  private static func counter(_ name: String, _ help: String) -> MetricFamily {
    MetricFamily(name: name, kind: .counter, help: help)
  }
}
