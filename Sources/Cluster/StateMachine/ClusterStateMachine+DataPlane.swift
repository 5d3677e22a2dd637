extension ClusterStateMachine {
  /// The data-plane actions that bring the reths to the roles just decided: a reth is up
  /// exactly while this node is its RG's primary. Compared with what was last asked, so each
  /// change is asked once; the winner of a resolved split brain announces again. `events`
  /// reports each reth that came up or went down here (after the batch's other events).
  mutating func dataPlaneActions(now: ClusterTime) -> (
    actions: [ClusterAction], events: [ClusterAction]
  ) {
    let plans = rethPlans
    // Nothing to bring up or down, nothing reloaded (the common case, at every heartbeat).
    if dataPlane.started, dataPlane.planList == plans,
      splitBrainGroups == dataPlane.splitBrainGroups,
      plans.allSatisfy({
        (groups.state($0.group) == .primary) == dataPlane.active.contains($0.name)
      })
    {
      return ([], [])
    }
    var result: [DataPlaneAction] = []
    var changes: [RethStatusChange] = []
    let current = Dictionary(uniqueKeysWithValues: plans.map { ($0.name, $0) })
    // A reth gone from a reloaded configuration, or changed in it (members, MAC, addresses,
    // GARP count): the old one goes down first, and away when gone.
    for (name, old) in dataPlane.plans.sorted(by: { $0.key < $1.key }) where current[name] != old {
      if dataPlane.active.contains(name) {
        result.append(.deactivate(old))
        dataPlane.active.remove(name)
        changes.append(RethStatusChange(old, active: false))
      }
      if current[name] == nil { result.append(.remove(old)) }
    }
    // At start every reth, after a reload the new and the changed ones: set up (again), down.
    let fresh = dataPlane.started ? plans.filter { dataPlane.plans[$0.name] != $0 } : plans
    dataPlane.started = true
    if !fresh.isEmpty { result.append(.reset(fresh)) }
    let resolved = dataPlane.splitBrainGroups.subtracting(splitBrainGroups)
    for plan in plans {
      let primary = groups.state(plan.group) == .primary
      if !primary && dataPlane.active.contains(plan.name) {
        result.append(.deactivate(plan))
        dataPlane.active.remove(plan.name)
        changes.append(RethStatusChange(plan, active: false))
      }
    }
    // Deactivations first: within a batch no two reths of one node move at cross purposes,
    // and a reth that goes down here never waits behind one that comes up.
    for plan in plans {
      let primary = groups.state(plan.group) == .primary
      if primary && !dataPlane.active.contains(plan.name) {
        result.append(.activate(plan))
        dataPlane.active.insert(plan.name)
        changes.append(RethStatusChange(plan, active: true))
      } else if primary && resolved.contains(plan.group) {
        result.append(.announce(plan))
      }
    }
    dataPlane.plans = current
    dataPlane.planList = plans
    dataPlane.splitBrainGroups = splitBrainGroups
    for change in changes { dataPlane.lastChange[change.reth] = now }
    return (result.map { .dataPlane($0) }, changes.map { .emit(.rethStatusChanged($0)) })
  }

  /// The data plane put back what someone else removed from an active reth (DESIGN §10's
  /// watchdog): `link` when it set the link up again, `addresses` the positions (0-based) of
  /// the configured addresses it added again, `restores` its count of such repairs.
  public mutating func rethRestored(
    _ name: String, link: Bool, addresses: [Int], restores: Int, now: ClusterTime
  ) -> [ClusterAction] {
    guard let reth = configuration.redundantEthernets[name] else { return [] }
    let restored = addresses.filter { reth.addresses.indices.contains($0) }
    return [
      .emit(
        .rethRestored(
          RethRestore(
            reth: name, index: RedundantEthernet.index(of: name) ?? 0,
            group: reth.redundancyGroup ?? 0, linkRestored: link,
            addresses: restored.map { .init(index: $0 + 1, address: reth.addresses[$0]) },
            restores: restores)))
    ]
  }
}

extension RethStatusChange {
  init(_ plan: RethPlan, active: Bool) {
    self.init(
      reth: plan.name, index: RedundantEthernet.index(of: plan.name) ?? 0, group: plan.group,
      active: active, addresses: plan.addresses)
  }
}

/// What the data plane was last asked to do.
struct DataPlaneRuntime: Sendable {
  var started = false
  var plans: [String: RethPlan] = [:]
  /// The same, in configuration order: compared whole at each evaluation.
  var planList: [RethPlan] = []
  var active: Set<String> = []
  var splitBrainGroups: Set<Int> = []
  /// When each reth last came up or went down on this node.
  var lastChange: [String: ClusterTime] = [:]
}
