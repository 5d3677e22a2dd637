extension ClusterStateMachine {
  /// An immutable picture of this node's view of the cluster.
  public func snapshot(now: ClusterTime) -> ClusterSnapshot {
    let ids = groupIDs
    var statusGroups: [RedundancyGroupStatus] = []
    var details: [GroupDetail] = []
    for id in ids {
      guard let group = groups[id] else { continue }
      var rows: [NodeGroupStatus] = []
      for node in 0...1 {
        rows.append(nodeRow(id, group: group, node: node))
      }
      let primary = rows.first(where: { $0.status == .primary })?.node
      statusGroups.append(
        RedundancyGroupStatus(
          id: id, failoverCount: group.failoverCount, primaryNode: primary, nodes: rows))
      details.append(
        GroupDetail(
          id: id, weight: health(of: id).weight, failureCodes: failureCodes(of: id),
          lastFailoverAt: group.lastFailoverAt, lastFailoverReason: group.lastFailoverReason,
          lastTransitionAt: group.lastTransitionAt,
          holdDownIntervalSeconds: group.configuration.holdDownIntervalSeconds,
          preempt: group.configuration.preempt != nil, manualTarget: group.manual.target,
          history: group.history, peerLastChange: peerStateChangedAt[id]))
    }
    let lanConfigured = configuration.hasLANHeartbeat
    let status = ClusterStatus(
      clusterId: configuration.clusterID, localNode: localNode, peer: peerStatus,
      controlLink: control.status, fabricLink: fabric.status,
      lanLink: lanConfigured ? lan.status : nil, redundancyGroups: statusGroups)
    var snapshot = ClusterSnapshot(
      takenAt: now, status: status, groups: details, interfaceMonitors: interfaceMonitorRows(),
      ipMonitors: ipMonitorRows(), redundantEthernets: rethRows(),
      statistics: LinkStatistics(
        heartbeatsSent: control.sent, heartbeatsReceived: control.received,
        heartbeatErrors: control.errors, probesSent: fabric.sent, probesReceived: fabric.received,
        probeErrors: fabric.errors, heartbeatSourceRejected: control.sourceRejected,
        probeSourceRejected: fabric.sourceRejected, sessionSync: sessionSyncStatistics),
      splitBrain: SplitBrainStatus(
        active: splitBrainGroups.sorted(), count: splitBrainCount, lastDetectedAt: lastSplitBrainAt),
      configMismatch: configMismatch, authenticated: !configuration.authenticationDisabled)
    if lanConfigured {
      snapshot.statistics.lanHeartbeatsSent = lan.sent
      snapshot.statistics.lanHeartbeatsReceived = lan.received
      snapshot.statistics.lanHeartbeatErrors = lan.errors
    }
    snapshot.witness = witnessStatus(now: now)
    return snapshot
  }

  /// Convenience for tests and the simulation.
  public var status: ClusterStatus { snapshot(now: .zero).status }

  private func nodeRow(_ id: Int, group: GroupRuntime, node: Int) -> NodeGroupStatus {
    let preempt = group.configuration.preempt != nil
    let manual = group.manual.target != nil
    if node == localNode {
      return NodeGroupStatus(
        node: node, priority: effectivePriority(of: id),
        configuredPriority: group.configuration.priority[node], status: group.state,
        preempt: preempt, manualFailover: manual, weight: health(of: id).weight,
        failureCodes: failureCodes(of: id))
    }
    guard peerStatus == .up, let announcement = peer?.groups[id] else {
      return NodeGroupStatus(
        node: node, priority: 0, configuredPriority: group.configuration.priority[node],
        status: .lost, preempt: preempt, manualFailover: manual, weight: nil,
        failureCodes: [])
    }
    return NodeGroupStatus(
      node: node, priority: Int(announcement.effectivePriority),
      configuredPriority: Int(announcement.configuredPriority), status: announcement.state,
      preempt: preempt, manualFailover: manual, weight: Int(announcement.weight),
      failureCodes: announcement.failureCodes)
  }

  private func interfaceMonitorRows() -> [InterfaceMonitorStatus] {
    var rows: [InterfaceMonitorStatus] = []
    for id in groupIDs {
      guard let group = groups[id] else { continue }
      for (offset, monitor) in group.configuration.interfaceMonitors.enumerated() {
        let key = MonitorKey(group: id, index: offset + 1)
        let local = monitor.applies(to: localNode)
        rows.append(
          InterfaceMonitorStatus(
            group: id, index: offset + 1, interface: monitor.interface, weight: monitor.weight,
            node: monitor.node,
            state: local ? monitors.linkState(of: monitor.interface, in: configuration) : nil,
            lastChangeMilliseconds: monitors.interfaceLastChange[key]?.milliseconds))
      }
    }
    return rows
  }

  private func ipMonitorRows() -> [IPMonitorStatus] {
    var rows: [IPMonitorStatus] = []
    for id in groupIDs {
      guard let ip = groups[id]?.configuration.ipMonitoring else { continue }
      for (offset, entry) in ip.addresses.enumerated() {
        let key = MonitorKey(group: id, index: offset + 1)
        let runtime = monitors.ip[key] ?? IPMonitorRuntime()
        let local = entry.applies(to: localNode)
        rows.append(
          IPMonitorStatus(
            group: id, index: offset + 1, address: entry.address, weight: entry.weight,
            node: entry.node, reachable: local ? runtime.reachable : nil,
            consecutiveFailures: runtime.consecutiveFailures,
            lastChangeMilliseconds: runtime.lastChangeAt?.milliseconds))
      }
    }
    return rows
  }

  private func rethRows() -> [RedundantEthernetStatus] {
    let plans = Dictionary(uniqueKeysWithValues: rethPlans.map { ($0.name, $0) })
    return configuration.redundantEthernets.keys.sorted().compactMap { name in
      guard let reth = configuration.redundantEthernets[name] else { return nil }
      return RedundantEthernetStatus(
        name: name, index: RedundantEthernet.index(of: name) ?? 0, group: reth.redundancyGroup,
        members: reth.members(on: localNode),
        state: monitors.linkState(of: name, in: configuration),
        mac: plans[name].map { $0.mac.map(RethMACAssignment.shared) ?? .member } ?? .none,
        addresses: reth.addresses,
        active: dataPlane.active.contains(name),
        lastChangeMilliseconds: dataPlane.lastChange[name]?.milliseconds, counters: RethCounters())
    }
  }
}
