import Cluster

public struct VarBind: Sendable, Hashable, CustomStringConvertible {
  public var oid: OID
  public var value: SNMPValue

  public init(oid: OID, value: SNMPValue) {
    self.oid = oid
    self.value = value
  }

  public var description: String { "\(MIBDefinition.name(of: oid)) = \(value)" }
}

/// One notification to send: its NOTIFICATION-TYPE and the varbinds of its OBJECTS clause, each
/// with the instance index the MIB's DESCRIPTION names.
public struct SNMPNotification: Sendable, Hashable {
  public var definition: MIBObject
  public var varbinds: [VarBind]

  public var oid: OID { definition.oid }
  public var name: String { definition.name }

  /// snmpTrapOID.0 (RFC 3416 §4.2.6), the varbind an SNMPv2-Trap or AgentX Notify-PDU starts
  /// with; sysUpTime.0 before it is the master agent's to add.
  public static let snmpTrapOID: OID = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]

  /// The varbind list of the PDU: snmpTrapOID.0 first, then the OBJECTS.
  public var pduVarbinds: [VarBind] {
    [VarBind(oid: Self.snmpTrapOID, value: .objectIdentifier(oid))] + varbinds
  }
}

/// Turns state-machine events into CHASSIS-CLUSTER-MIB notifications.
///
/// Values the event carries (the new state, the monitor's status, the resulting weight) come
/// from the event: the snapshot behind `view` is taken after the whole batch of actions and may
/// already show a later state. Everything else (counters, the local node id) comes from the
/// view; an instance the view lacks is left out rather than invented.
public enum NotificationBuilder {
  public static func notifications(for event: ClusterEvent, in view: MIBView)
    -> [SNMPNotification]
  {
    let context = NotificationContext(view: view)
    switch event {
    case .groupStateChanged(let change):
      return context.groupStateChanged(change)
    case .interfaceMonitorChanged(let change):
      return context.interfaceMonitorChanged(change)
    case .ipMonitorChanged(let change):
      return context.ipMonitorChanged(change)
    case .controlLinkDown:
      return [context.link(MIBDefinition.ccControlLinkDown, control: true, up: false)]
    case .controlLinkUp:
      return [context.link(MIBDefinition.ccControlLinkUp, control: true, up: true)]
    case .fabricLinkDown:
      return [context.link(MIBDefinition.ccFabricLinkDown, control: false, up: false)]
    case .fabricLinkUp:
      return [context.link(MIBDefinition.ccFabricLinkUp, control: false, up: true)]
    case .peerLost:
      return [context.peer(MIBDefinition.ccPeerLost, status: .lost)]
    case .peerFound:
      return [context.peer(MIBDefinition.ccPeerFound, status: .up)]
    case .splitBrainDetected(let splitBrain):
      return [context.splitBrainDetected(splitBrain)]
    case .splitBrainResolved(let resolution):
      return [context.splitBrainResolved(resolution)]
    case .configMismatch:
      return [
        context.notification(
          MIBDefinition.ccConfigMismatch,
          [context.localNodeId, context.scalar(MIBDefinition.ccConfigDigestStatus, .integer(2))])
      ]
    case .rethStatusChanged(let change):
      return context.rethStatusChanged(change)
    case .rethRestored(let restore):
      return context.rethRestored(restore)
    case .lanLinkDown:
      return [context.lanLink(MIBDefinition.ccLanLinkDown, up: false)]
    case .lanLinkUp:
      return [context.lanLink(MIBDefinition.ccLanLinkUp, up: true)]
    case .sessionSync(let event):
      return context.sessionSync(event)
    case .witness(let event):
      return context.witness(event)
    case .configMatch, .manualFailoverRequested, .manualFailoverReset, .failoverCountCleared,
      .preemptLimitReached, .datagramRejected:
      return []
    }
  }
}

/// The view behind one event's notifications and the varbind helpers they share.
struct NotificationContext {
  let view: MIBView
  let local: UInt32

  init(view: MIBView) {
    self.view = view
    local = UInt32(clamping: view.localNode)
  }

  var localNodeId: VarBind {
    scalar(MIBDefinition.ccLocalNodeId, .integer(Int32(clamping: view.localNode)))
  }

  func notification(_ definition: MIBObject, _ varbinds: [VarBind?]) -> SNMPNotification {
    SNMPNotification(definition: definition, varbinds: varbinds.compactMap { $0 })
  }

  /// A varbind with the value the event pins.
  func scalar(_ object: MIBObject, _ value: SNMPValue) -> VarBind {
    VarBind(oid: object.oid + [0], value: value)
  }

  func instance(_ object: MIBObject, _ index: [UInt32], _ value: SNMPValue) -> VarBind {
    VarBind(oid: object.oid + index, value: value)
  }

  /// A varbind with the view's current value; nil when the view has no such instance.
  func current(_ object: MIBObject, _ index: [UInt32] = [0]) -> VarBind? {
    let oid = object.oid + index
    return view.get(oid).map { VarBind(oid: oid, value: $0) }
  }

  func groupStateChanged(_ change: GroupStateChange) -> [SNMPNotification] {
    // SRX sends nothing for the first election out of hold; the MIB follows it.
    guard !change.isFromHold, let group = UInt32(exactly: change.group) else { return [] }
    let count = VarBind(
      oid: MIBDefinition.ccRgFailoverCount.oid + [group],
      value: .counter32(UInt32(truncatingIfNeeded: max(0, change.failoverCount))))
    // The transition's reason is the failover reason only when this node became primary.
    let reason =
      change.becamePrimary
      ? instance(MIBDefinition.ccRgLastFailoverReason, [group], .displayString(change.reason))
      : current(MIBDefinition.ccRgLastFailoverReason, [group])
    var result = [
      notification(
        MIBDefinition.ccRgStateChange,
        [
          localNodeId,
          instance(
            MIBDefinition.ccRgNodeState, [group, local], .integer(Int32(change.to.rawValue))),
          instance(
            MIBDefinition.ccRgNodeEffectivePriority, [group, local],
            .unsigned(UInt32(clamping: change.localPriority))),
          count,
          reason,
        ])
    ]
    if change.becamePrimary {
      result.append(
        notification(
          MIBDefinition.ccRgFailover,
          [
            localNodeId,
            instance(MIBDefinition.ccRgPrimaryNode, [group], .integer(Int32(clamping: local))),
            count,
            reason,
          ]))
    }
    return result
  }

  func interfaceMonitorChanged(_ change: InterfaceMonitorChange) -> [SNMPNotification] {
    guard let group = UInt32(exactly: change.group), let index = UInt32(exactly: change.index)
    else { return [] }
    let row = [group, index]
    return [
      notification(
        change.state.isUp
          ? MIBDefinition.ccInterfaceMonitorRecovery : MIBDefinition.ccInterfaceMonitorFailure,
        [
          localNodeId,
          instance(MIBDefinition.ccIfMonName, row, .displayString(change.interface)),
          instance(
            MIBDefinition.ccIfMonWeight, row, .unsigned(UInt32(clamping: change.monitorWeight))),
          instance(
            MIBDefinition.ccIfMonStatus, row, .integer(MIBView.interfaceStatus(change.state))),
          groupWeight(group, change.groupWeight),
        ])
    ]
  }

  func ipMonitorChanged(_ change: IPMonitorChange) -> [SNMPNotification] {
    guard let group = UInt32(exactly: change.group), let index = UInt32(exactly: change.index)
    else { return [] }
    let row = [group, index]
    let address = InetAddressText.parse(change.address)
    return [
      notification(
        change.reachable ? MIBDefinition.ccIpMonitorRecovery : MIBDefinition.ccIpMonitorFailure,
        [
          localNodeId,
          instance(MIBDefinition.ccIpMonAddressType, row, .integer(address.type.rawValue)),
          instance(MIBDefinition.ccIpMonAddress, row, .octetString(address.octets)),
          instance(
            MIBDefinition.ccIpMonWeight, row, .unsigned(UInt32(clamping: change.monitorWeight))),
          instance(MIBDefinition.ccIpMonStatus, row, .integer(MIBView.ipStatus(change.reachable))),
          groupWeight(group, change.groupWeight),
        ])
    ]
  }

  /// ccRgNodeWeight of the local node: the weight right after the change.
  private func groupWeight(_ group: UInt32, _ weight: Int) -> VarBind {
    instance(MIBDefinition.ccRgNodeWeight, [group, local], .integer(Int32(clamping: weight)))
  }

  func link(_ definition: MIBObject, control: Bool, up: Bool) -> SNMPNotification {
    notification(
      definition,
      [
        localNodeId,
        scalar(
          control ? MIBDefinition.ccControlLinkStatus : MIBDefinition.ccFabricLinkStatus,
          .integer(MIBView.linkStatus(up ? .up : .down))),
        current(control ? MIBDefinition.ccHeartbeatsReceived : MIBDefinition.ccProbesReceived),
      ])
  }

  func peer(_ definition: MIBObject, status: PeerStatus) -> SNMPNotification {
    notification(
      definition,
      [localNodeId, scalar(MIBDefinition.ccPeerStatus, .integer(MIBView.peerState(status)))])
  }

  func splitBrainDetected(_ splitBrain: SplitBrain) -> SNMPNotification {
    // Split brain means both nodes are primary: that is the local state at detection, even if
    // the same batch already resolved it and the view shows the outcome.
    let states = splitBrain.groups.compactMap { id -> VarBind? in
      guard let group = UInt32(exactly: id) else { return nil }
      return instance(
        MIBDefinition.ccRgNodeState, [group, local],
        .integer(Int32(RedundancyGroupState.primary.rawValue)))
    }
    return notification(
      MIBDefinition.ccSplitBrainDetected,
      [
        localNodeId,
        scalar(MIBDefinition.ccSplitBrainStatus, .integer(2)),
        current(MIBDefinition.ccSplitBrainCount),
      ] + states)
  }

  func splitBrainResolved(_ resolution: SplitBrainResolution) -> SNMPNotification {
    // The state right after the resolution: none(1) unless groups other than the resolved
    // ones are still in split brain. Not the view's ccSplitBrainStatus: the view is the one
    // snapshot of the whole batch of actions (and ClusterMIBService reuses it for every
    // event of the batch), so when one batch holds a detection and this resolution, or this
    // resolution and a new detection of the same groups on a flapping heal, the view still
    // (or again) says detected(2) for groups this event has just resolved.
    let stillSplit = view.splitBrainGroups.contains { !resolution.groups.contains($0) }
    return notification(
      MIBDefinition.ccSplitBrainResolved,
      [
        localNodeId,
        scalar(MIBDefinition.ccSplitBrainStatus, .integer(stillSplit ? 2 : 1)),
        current(MIBDefinition.ccSplitBrainCount),
      ])
  }

  /// The varbinds both reth notifications start with: the reth's name, group and the status
  /// the event leaves it in.
  private func reth(_ index: UInt32, name: String, group: Int, active: Bool) -> [VarBind] {
    [
      localNodeId,
      instance(MIBDefinition.ccRethName, [index], .displayString(name)),
      instance(MIBDefinition.ccRethRgId, [index], .integer(Int32(clamping: group))),
      instance(
        MIBDefinition.ccRethOperStatus, [index],
        .integer(MIBView.rethOperStatus(active: active))),
    ]
  }

  func rethStatusChanged(_ change: RethStatusChange) -> [SNMPNotification] {
    guard let index = UInt32(exactly: change.index) else { return [] }
    return [
      notification(
        MIBDefinition.ccRethStatusChange,
        reth(index, name: change.reth, group: change.group, active: change.active))
    ]
  }

  func rethRestored(_ restore: RethRestore) -> [SNMPNotification] {
    guard let index = UInt32(exactly: restore.index) else { return [] }
    // Only an active reth is repaired: it is up again once the repair is done.
    let restored = restore.addresses.compactMap { entry -> VarBind? in
      guard let position = UInt32(exactly: entry.index) else { return nil }
      return instance(
        MIBDefinition.ccRethAddrText, [index, position], .displayString(entry.address.address))
    }
    return [
      notification(
        MIBDefinition.ccRethAddressRestored,
        reth(index, name: restore.reth, group: restore.group, active: true)
          + [
            instance(
              MIBDefinition.ccRethRestores, [index],
              .counter32(UInt32(truncatingIfNeeded: max(0, restore.restores))))
          ] + restored)
    ]
  }
}
