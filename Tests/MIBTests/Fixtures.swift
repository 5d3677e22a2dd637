import Cluster
import ClusterTestSupport
import MIB
import Testing

extension ScenarioRun {
  func view(_ index: Int, node: Int, dropped: UInt32 = 0) -> MIBView? {
    snapshot(index, node: node).map { Self.view($0, configuration, dropped: dropped) }
  }

  static func view(
    _ snapshot: ClusterSnapshot, _ configuration: ClusterConfiguration, dropped: UInt32 = 0
  ) -> MIBView {
    MIBView(
      snapshot: snapshot,
      context: MIBContext(
        configuration: configuration, agentStart: .zero, notificationsDropped: dropped))
  }
}

enum Scenarios {
  /// Three RGs with every kind of monitor: monitors for both nodes, for node0 only and for
  /// node1 only, IPv4 and IPv6 addresses.
  static let configuration = """
    set chassis cluster cluster-id 7
    set chassis cluster heartbeat-interval 500
    set chassis cluster heartbeat-threshold 4
    set chassis cluster redundancy-group 0 node 0 priority 200
    set chassis cluster redundancy-group 0 node 1 priority 100
    set chassis cluster redundancy-group 1 node 0 priority 150
    set chassis cluster redundancy-group 1 node 1 priority 100
    set chassis cluster redundancy-group 1 preempt
    set chassis cluster redundancy-group 1 hold-down-interval 5
    set chassis cluster redundancy-group 1 interface-monitor eth1 weight 100
    set chassis cluster redundancy-group 1 interface-monitor eth2 weight 255 node 1
    set chassis cluster redundancy-group 1 interface-monitor eth3 weight 50 node 0
    set chassis cluster redundancy-group 2 node 0 priority 100
    set chassis cluster redundancy-group 2 node 1 priority 200
    set chassis cluster redundancy-group 2 ip-monitoring global-weight 255
    set chassis cluster redundancy-group 2 ip-monitoring global-threshold 100
    set chassis cluster redundancy-group 2 ip-monitoring family inet 192.0.2.1 weight 100
    set chassis cluster redundancy-group 2 ip-monitoring family inet6 2001:db8::1 weight 50 node 1
    set chassis cluster redundancy-group 2 ip-monitoring family inet 198.51.100.7 weight 30 node 0

    """

  /// Both nodes up; node0 loses eth1 (weight 100 of RG1) and 192.0.2.1 (RG2, which spends
  /// node0's RG2 weight); RG0 fails over to node1 by hand. Status 0 is before the faults,
  /// status 1 after.
  static let busy = ScenarioRun(
    configuration + """
      ---
      +0s boot node0
      +0s boot node1
      +5s status
      +0s link down node0 eth1
      +0s ip unreachable node0 192.0.2.1
      +1s failover redundancy-group 0 node 1
      +8s status
      """)

  /// LAN heartbeats between both nodes and a witness (DESIGN §12).
  static let lanAndWitness = """
    set chassis cluster node 0 lan-address 192.0.2.2
    set chassis cluster node 1 lan-address 192.0.2.3
    set chassis cluster witness address 198.51.100.9 port 7402

    """

  /// Both nodes up with the LAN heartbeat and the witness (status 0); the LAN path fails
  /// (status 1) and comes back (status 2); then every path fails and node1 loses the
  /// witness: node0 claims the grant and keeps its RGs, node1 may take none (status 3);
  /// everything heals (status 4).
  static let splitBrainPrevention = ScenarioRun(
    configuration + lanAndWitness + """
      ---
      +0s boot node0
      +0s boot node1
      +5s status
      +0s cut lan-link
      +5s status
      +0s heal lan-link
      +5s status
      +0s cut lan-link
      +0s cut control-link
      +0s cut fabric-link
      +0s cut witness-link node1
      +10s status
      +0s heal witness-link node1
      +0s heal lan-link
      +0s heal control-link
      +0s heal fabric-link
      +5s status
      """)

  /// Two reths of RG1: reth0 with an IPv4 and an IPv6 address on eth1 (both nodes), reth3 on
  /// eth4 of node1 only, shared MACs of style `local`.
  static let reths = """
    set chassis cluster reth-count 4
    set interfaces reth0 redundant-ether-options redundancy-group 1
    set interfaces eth1 gigether-options redundant-parent reth0
    set interfaces reth0 unit 0 family inet address 203.0.113.1/24
    set interfaces reth0 unit 0 family inet6 address 2001:db8:5::1/64
    set interfaces reth3 redundant-ether-options redundancy-group 1
    set interfaces eth4 gigether-options redundant-parent reth3 node 1
    set interfaces reth3 unit 0 family inet address 198.18.0.1/16

    """

  /// Both nodes up with the reths; node0 loses eth1 (reth0's member there) and RG1 (with its
  /// reths) fails over to node1 by hand. Status 0 is before, status 1 after.
  static let rethFailover = ScenarioRun(
    configuration + reths + """
      ---
      +0s boot node0
      +0s boot node1
      +5s status
      +0s link down node0 eth1
      +0s failover redundancy-group 1 node 1
      +8s status
      """)
}
