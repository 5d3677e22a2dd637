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
  static let linkUp = gauge("ccagent_link_up", "1 while the control or fabric link is up")
  static let linkSent = counter(
    "ccagent_link_sent_total", "Messages sent: heartbeats on the control link, probes on fabric")
  static let linkReceived = counter(
    "ccagent_link_received_total",
    "Messages accepted: heartbeats on the control link, probes on fabric")
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

  static let all: [MetricFamily] = [
    buildInfo, up, clusterID, localNode, peerUp, configMismatch, linkUp, linkSent, linkReceived,
    linkRejected, splitBrains, splitBrainActive, failovers, manualFailover, state, priority,
    configuredPriority, weight, failure, interfaceMonitorUp, interfaceMonitorWeight,
    ipMonitorReachable, ipMonitorFailures, ipMonitorWeight, rethUp, rethActive, rethMembers,
    rethAddresses, rethGroup,
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
