import Cluster

/// SRX's own chassis-cluster notifications (JUNIPER-CHASSIS-CLUSTER-MIB), sent beside ours
/// when `set snmp juniper-compatible-traps` is configured, so trap handlers written for SRX
/// clusters keep working. Juniper's MIB is not shipped: receivers that lack it see the
/// numeric OIDs documented here and in the README.
///
/// As on SRX, only the primary node sends them: the node that is primary of redundancy group
/// 0 (where SRX's active Routing Engine runs) in the snapshot right after the event; and, as
/// for our own ccRgStateChange, nothing for a transition out of hold. Every varbind is a
/// DisplayString scalar instance (`.0`):
/// - jnxJsChassisClusterSwitchover (…14.1.0.1), for a state change of any redundancy group on
///   the sending node: RG id ("1"), cluster id ("5"), node id ("0"), previous and current
///   state in Junos' words ("secondary-hold", "primary"), and the reason ccagent records.
/// - jnxJsChClusterIntfTrap (…14.1.0.2), for the control or fabric link going down or up:
///   cluster id, the link ("control link", "fabric link"), its state ("down", "up"), a
///   severity ("major" down, "info" up) and the reason ("3 heartbeats missed").
/// - jnxJsChClusterWeightTrap (…14.1.0.4), when an interface or IP monitor changes the
///   sending node's weight of a group: cluster id, RG id, node id, health ("healthy" while the
///   weight is above 0, "unhealthy" at 0) and the weight ("155").
public enum JuniperNotifications {
  /// jnxJsChassisClusterMIB.
  public static let root: OID = [1, 3, 6, 1, 4, 1, 2636, 3, 39, 1, 14, 1]
  static let objects = root + [1]

  public static let switchover = definition("jnxJsChassisClusterSwitchover", 1)
  public static let interface = definition("jnxJsChClusterIntfTrap", 2)
  public static let weight = definition("jnxJsChClusterWeightTrap", 4)

  /// The Juniper-format notifications for `event` as seen in `snapshot` (taken after it).
  public static func notifications(for event: ClusterEvent, in snapshot: ClusterSnapshot)
    -> [SNMPNotification]
  {
    let status = snapshot.status
    let node = status.localNode
    let rg0 = status.redundancyGroups.first { $0.id == 0 }
    guard rg0?.nodes.first(where: { $0.node == node })?.status == .primary else { return [] }
    let cluster = text(2, String(status.clusterId))
    switch event {
    case .groupStateChanged(let c) where !c.isFromHold:
      return [
        SNMPNotification(
          definition: switchover,
          varbinds: [
            text(1, String(c.group)), text(2, String(status.clusterId)), text(3, String(node)),
            text(4, c.from.description), text(5, c.to.description), text(6, c.reason),
          ])
      ]
    case .controlLinkDown(let missed, _):
      return [link(cluster, "control link", up: false, "\(missed) heartbeats missed")]
    case .controlLinkUp:
      return [link(cluster, "control link", up: true, "heartbeats received again")]
    case .fabricLinkDown(let missed, _):
      return [link(cluster, "fabric link", up: false, "\(missed) probes missed")]
    case .fabricLinkUp:
      return [link(cluster, "fabric link", up: true, "probes received again")]
    case .interfaceMonitorChanged(let c):
      return [weight(status, group: c.group, weight: c.groupWeight)]
    case .ipMonitorChanged(let c):
      return [weight(status, group: c.group, weight: c.groupWeight)]
    default:
      return []
    }
  }

  private static func link(_ cluster: VarBind, _ name: String, up: Bool, _ reason: String)
    -> SNMPNotification
  {
    SNMPNotification(
      definition: interface,
      varbinds: [
        cluster, text(7, name), text(8, up ? "up" : "down"), text(9, up ? "info" : "major"),
        text(10, reason),
      ])
  }

  private static func weight(_ status: ClusterStatus, group: Int, weight: Int)
    -> SNMPNotification
  {
    SNMPNotification(
      definition: Self.weight,
      varbinds: [
        text(15, String(status.clusterId)), text(16, String(group)),
        text(17, String(status.localNode)), text(18, weight > 0 ? "healthy" : "unhealthy"),
        text(19, String(weight)),
      ])
  }

  /// jnxJsChassisClusterTrapObjects.`arc`.0, a DisplayString.
  private static func text(_ arc: UInt32, _ value: String) -> VarBind {
    VarBind(oid: objects + [arc, 0], value: .displayString(value))
  }

  private static func definition(_ name: String, _ arc: UInt32) -> MIBObject {
    MIBObject(
      name: name, oid: root + [0, arc], kind: .notification, syntax: "", type: nil,
      access: nil, index: [], objects: [])
  }
}
