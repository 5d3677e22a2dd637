extension ClusterStateMachine {
  /// Local monitor health of one RG (DESIGN §3.5).
  func health(of id: Int) -> GroupHealth {
    // Optional chaining reads the cached element in place; binding the array would copy it.
    if id >= 0, id < healthCache?.count ?? 0, let health = healthCache?[id] { return health }
    return computeHealth(of: id)
  }

  func computeHealth(of id: Int) -> GroupHealth {
    guard let group = groups[id] else {
      return GroupHealth(
        weight: 255, interfaceFailed: false, ipTriggered: false, ipFailedWeight: 0,
        ipRemainingThreshold: 0)
    }
    var weight = 255
    var interfaceFailed = false
    for (offset, monitor) in group.configuration.interfaceMonitors.enumerated()
    where monitor.applies(to: localNode) {
      let status =
        monitors.interfaceStatus[MonitorKey(group: id, index: offset + 1)]
        ?? monitors.linkState(of: monitor.interface, in: configuration)
      if !status.isUp {
        weight -= monitor.weight
        interfaceFailed = true
      }
    }
    var failedWeight = 0
    var anyUnreachable = false
    var remaining = 0
    var triggered = false
    if let ip = group.configuration.ipMonitoring {
      for (offset, address) in ip.addresses.enumerated() where address.applies(to: localNode) {
        if monitors.ip[MonitorKey(group: id, index: offset + 1)]?.reachable == false {
          failedWeight += address.weight
          anyUnreachable = true
        }
      }
      // Stage one: address weights come off global-threshold; stage two: at 0, global-weight
      // comes off the RG.
      remaining = ip.globalThreshold - failedWeight
      triggered = anyUnreachable && remaining <= 0
      if triggered { weight -= ip.globalWeight }
    }
    return GroupHealth(
      weight: weight, interfaceFailed: interfaceFailed, ipTriggered: triggered,
      ipFailedWeight: failedWeight, ipRemainingThreshold: remaining)
  }

  /// Whether this node is a healthy candidate for an RG. IP monitoring counts only when the
  /// peer reaches its addresses (decision table: only "primary unreachable, secondary
  /// reachable" fails over).
  func isLocallyHealthy(_ id: Int) -> Bool {
    let health = health(of: id)
    let ipWeight =
      health.ipTriggered ? (groups[id]?.configuration.ipMonitoring?.globalWeight ?? 0) : 0
    if health.weight + ipWeight <= 0 { return false }
    if health.ipTriggered && !peerFailsIP(id) && health.weight <= 0 { return false }
    if fabricFailure && id != 0 { return false }
    if coldSyncActive(id) { return false }
    return true
  }

  private func peerFailsIP(_ id: Int) -> Bool {
    guard peerStatus == .up, let announcement = peer?.groups[id] else { return false }
    return announcement.failureCodes.contains(.ip)
  }

  func failureCodes(of id: Int) -> FailureCodes {
    let health = health(of: id)
    var codes: FailureCodes = []
    if health.interfaceFailed { codes.insert(.interface) }
    if health.ipTriggered { codes.insert(.ip) }
    if configMismatch { codes.insert(.configSync) }
    if fabricFailure && id != 0 { codes.insert(.fabric) }
    if coldSyncActive(id) { codes.insert(.coldSync) }
    return codes
  }

  func effectivePriority(of id: Int) -> Int {
    guard groups[id] != nil, isLocallyAvailable, isLocallyHealthy(id) else { return 0 }
    if groups.read(id, { $0.manual.target }) == localNode { return 255 }
    return groups.read(id) { $0.configuration.priority[localNode] } ?? 0
  }

  mutating func ipMonitorKeys(address: String) -> [MonitorKey] {
    var keys: [MonitorKey] = []
    for id in groupIDs {
      guard let ip = groups[id]?.configuration.ipMonitoring else { continue }
      for (offset, entry) in ip.addresses.enumerated()
      where entry.address == address && entry.applies(to: localNode) {
        let key = MonitorKey(group: id, index: offset + 1)
        if monitors.ip[key] == nil { monitors.ip[key] = IPMonitorRuntime() }
        keys.append(key)
      }
    }
    return keys
  }

  /// The addresses this node must ping, with their interval and source: for the shell.
  public var pingTargets: [PingTarget] {
    var targets: [String: PingTarget] = [:]
    for id in groupIDs {
      guard let ip = groups[id]?.configuration.ipMonitoring else { continue }
      for entry in ip.addresses where entry.applies(to: localNode) {
        let interval = Duration.seconds(ip.retryIntervalSeconds)
        if let existing = targets[entry.address], existing.interval <= interval { continue }
        targets[entry.address] = PingTarget(
          address: entry.address, sourceAddress: entry.sourceAddress, interval: interval)
      }
    }
    return targets.values.sorted { $0.address < $1.address }
  }

  /// The interfaces whose link state matters here (monitored ones and reth members).
  public var watchedInterfaces: [String] {
    var names: Set<String> = []
    for group in configuration.redundancyGroups.values {
      for monitor in group.interfaceMonitors where monitor.applies(to: localNode) {
        if let reth = configuration.redundantEthernets[monitor.interface], !reth.members.isEmpty {
          names.formUnion(reth.members)
        } else {
          names.insert(monitor.interface)
        }
      }
    }
    for reth in configuration.redundantEthernets.values { names.formUnion(reth.members) }
    return names.sorted()
  }

  mutating func refreshInterfaceMonitors(now: ClusterTime, emitChanges: Bool) {
    var changes: [(MonitorKey, InterfaceMonitor, LinkState)] = []
    for id in groupIDs {
      guard let group = groups[id] else { continue }
      for (offset, monitor) in group.configuration.interfaceMonitors.enumerated()
      where monitor.applies(to: localNode) {
        let key = MonitorKey(group: id, index: offset + 1)
        let state = monitors.linkState(of: monitor.interface, in: configuration)
        let previous = monitors.interfaceStatus[key]
        guard previous != state else { continue }
        monitors.interfaceStatus[key] = state
        monitors.interfaceLastChange[key] = now
        // Up and absent/down flips are what operators care about; absent→down is not news.
        if let previous, previous.isUp != state.isUp {
          changes.append((key, monitor, state))
        } else if previous == nil && !state.isUp {
          changes.append((key, monitor, state))
        }
      }
    }
    guard emitChanges || changes.contains(where: { !$0.2.isUp }) else { return }
    for (key, monitor, state) in changes {
      actions.append(
        .emit(
          .interfaceMonitorChanged(
            InterfaceMonitorChange(
              group: key.group, index: key.index, interface: monitor.interface, state: state,
              monitorWeight: monitor.weight, groupWeight: health(of: key.group).weight))))
    }
  }
}

/// One answered or unanswered echo request to an ip-monitoring address.
public struct PingResult: Sendable, Equatable {
  public var address: String
  public var replied: Bool

  public init(address: String, replied: Bool) {
    self.address = address
    self.replied = replied
  }
}

/// One address the shell pings for ip-monitoring.
public struct PingTarget: Sendable, Equatable {
  public var address: String
  public var sourceAddress: String?
  public var interval: Duration

  public init(address: String, sourceAddress: String?, interval: Duration) {
    self.address = address
    self.sourceAddress = sourceAddress
    self.interval = interval
  }
}
