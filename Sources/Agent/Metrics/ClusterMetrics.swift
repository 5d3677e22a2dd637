import Cluster
import Prometheus

/// The Prometheus exposition of one snapshot (`GET /metrics`).
///
/// swift-prometheus's registry is used directly, without swift-metrics' `MetricsSystem`: every
/// value here is a figure the state machine already keeps (counters included), so each scrape
/// builds a fresh registry from the latest snapshot instead of mirroring updates into
/// process-wide handlers. A fresh registry also drops the series of a monitor or RG that a
/// reload removed, and the heartbeat path never touches a metric.
///
/// States are numbers, never labels (a state label makes a new series on every change):
/// `ccagent_redundancy_group_state` is the MIB's `CcRedundancyGroupState` (`MetricFamily.state`).
enum ClusterMetrics {
  static func render(_ snapshot: ClusterSnapshot?, version: String) -> [UInt8] {
    var exposition = Exposition()
    exposition.gauge(.buildInfo, [("version", version)], 1)
    exposition.gauge(.up, [], snapshot == nil ? 0 : 1)
    if let snapshot { add(snapshot, to: &exposition) }
    return exposition.registry.emitToBuffer()
  }

  private static func add(_ snapshot: ClusterSnapshot, to e: inout Exposition) {
    let status = snapshot.status
    e.gauge(.clusterID, [], status.clusterId)
    e.gauge(.localNode, [], status.localNode)
    e.gauge(.peerUp, [], status.peer == .up ? 1 : 0)
    e.gauge(.configMismatch, [], snapshot.configMismatch ? 1 : 0)
    let statistics = snapshot.statistics
    var links = [
      (
        "control", status.controlLink, statistics.heartbeatsSent, statistics.heartbeatsReceived,
        statistics.heartbeatErrors
      ),
      (
        "fabric", status.fabricLink, statistics.probesSent, statistics.probesReceived,
        statistics.probeErrors
      ),
    ]
    // The LAN heartbeat path only when both nodes have a lan-address: no series otherwise.
    if let lan = status.lanLink {
      links.append(
        (
          "lan", lan, statistics.lanHeartbeatsSent ?? 0, statistics.lanHeartbeatsReceived ?? 0,
          statistics.lanHeartbeatErrors ?? 0
        ))
    }
    for (link, state, sent, received, rejected) in links {
      e.gauge(.linkUp, [("link", link)], state == .up ? 1 : 0)
      e.counter(.linkSent, [("link", link)], sent)
      e.counter(.linkReceived, [("link", link)], received)
      e.counter(.linkRejected, [("link", link)], rejected)
    }
    e.counter(.splitBrains, [], UInt64(max(0, snapshot.splitBrain.count)))
    for group in status.redundancyGroups {
      let rg = ("rg", "\(group.id)")
      e.counter(.failovers, [rg], UInt64(max(0, group.failoverCount)))
      e.gauge(.splitBrainActive, [rg], snapshot.splitBrain.active.contains(group.id) ? 1 : 0)
      e.gauge(.manualFailover, [rg], group.nodes.contains(where: \.manualFailover) ? 1 : 0)
      for row in group.nodes {
        let labels = [rg, ("node", "\(row.node)")]
        e.gauge(.state, labels, Int(row.status.rawValue))
        e.gauge(.priority, labels, row.priority)
        if let configured = row.configuredPriority {
          e.gauge(.configuredPriority, labels, configured)
        }
        // A lost peer's weight and failures are unknown: no sample rather than a made-up 0.
        guard let weight = row.weight else { continue }
        e.gauge(.weight, labels, weight)
        for (_, code, _) in FailureCodes.all {
          e.gauge(.failure, labels + [("code", code)], row.monitorFailures.contains(code) ? 1 : 0)
        }
      }
    }
    for monitor in snapshot.interfaceMonitors {
      let labels = [
        ("rg", "\(monitor.group)"), ("index", "\(monitor.index)"), ("interface", monitor.interface),
      ]
      e.gauge(.interfaceMonitorWeight, labels, monitor.weight)
      if let state = monitor.state { e.gauge(.interfaceMonitorUp, labels, state.isUp ? 1 : 0) }
    }
    for monitor in snapshot.ipMonitors {
      let labels = [
        ("rg", "\(monitor.group)"), ("index", "\(monitor.index)"), ("address", monitor.address),
      ]
      e.gauge(.ipMonitorWeight, labels, monitor.weight)
      if let reachable = monitor.reachable {
        e.gauge(.ipMonitorReachable, labels, reachable ? 1 : 0)
        e.gauge(.ipMonitorFailures, labels, monitor.consecutiveFailures)
      }
    }
    for reth in snapshot.redundantEthernets {
      let labels = [("reth", reth.name)]
      e.gauge(.rethUp, labels, reth.state.isUp ? 1 : 0)
      e.gauge(.rethActive, labels, reth.active ? 1 : 0)
      e.gauge(.rethMembers, labels, reth.members.count)
      e.gauge(.rethAddresses, labels, reth.addresses.count)
      if let group = reth.group { e.gauge(.rethGroup, labels, group) }
    }
    if let sync = statistics.sessionSync { addSessionSync(sync, to: &e) }
    if let witness = snapshot.witness { addWitness(witness, takenAt: snapshot.takenAt, to: &e) }
  }

  /// A registry and the one way values go in: name, type and help always from a family, so two
  /// samples of one name can never disagree on them (the registry traps on a mismatch).
  struct Exposition {
    let registry = PrometheusCollectorRegistry()

    func gauge(_ family: MetricFamily, _ labels: [(String, String)], _ value: Int) {
      precondition(family.kind == .gauge)
      registry.makeGauge(descriptor: family.descriptor, labels: labels).set(Int64(value))
    }

    /// Seconds and other fractions.
    func gauge(_ family: MetricFamily, _ labels: [(String, String)], _ value: Double) {
      precondition(family.kind == .gauge)
      registry.makeGauge(descriptor: family.descriptor, labels: labels).set(value)
    }

    func counter(_ family: MetricFamily, _ labels: [(String, String)], _ value: UInt64) {
      precondition(family.kind == .counter)
      registry.makeCounter(descriptor: family.descriptor, labels: labels)
        .increment(by: Int64(clamping: value))
    }
  }
}
