/// What the data plane must do (DESIGN §10): the core decides, the shell's data-plane service
/// carries it out, `simulate` prints it. Within one batch these come after the batch's commit
/// (`SessionSyncAction.commit`) and before the heartbeat and the events. The shell carries a
/// `deactivate` half out before the heartbeat goes (the reth's frames leave through the
/// peer's member from then on, or not at all: a node stops emitting the shared MAC on its own
/// port before it announces that it gave an RG up; the addresses and the link go a little
/// later), and the others in this order on a worker of its own,
/// each `activate` after the batch's commit: the heartbeat may announce an RG taken while its
/// reths are still coming up, never while the old primary's are still sending.
public enum DataPlaneAction: Sendable, Equatable {
  /// Start-up: each reth exists, down and without addresses (a crashed agent may have left
  /// addresses behind: never a second owner on the LAN). After a reload: the reths new in it,
  /// and those it changed, set up as the plan says in place of the old one (which a
  /// `deactivate` took down first if it was up).
  case reset([RethPlan])
  /// This node became the RG's primary: link up, addresses, then the GARP/NA bursts.
  case activate(RethPlan)
  /// This node is no longer the RG's primary (or is stopping): a macvlan reth hands over (for
  /// a grace period every frame it sends leaves through the peer's member over the fabric, and
  /// it still forwards what reaches it: README, "Handover over the fabric"), then its addresses go and the link goes down.
  case deactivate(RethPlan)
  /// A fresh GARP/NA burst: the split brain was resolved in this node's favour.
  case announce(RethPlan)
  /// The reth left the configuration: down, and the interface removed.
  case remove(RethPlan)
}

/// One reth as this node runs it.
public struct RethPlan: Sendable, Equatable, Codable {
  public var name: String
  public var group: Int
  /// This node's members (the first is the parent of the macvlan).
  public var members: [String]
  /// The shared MAC; nil for `reth-mac member` (the member's own MAC plus GARP).
  public var mac: [UInt8]?
  public var addresses: [RethAddress]
  public var gratuitousARPCount: Int
  /// This node's fabric link, by name (`fab0 fabric-options member-interfaces`), else the link
  /// that holds `fabricAddress`: where a withdrawn reth sends what still reaches it (README, "Handover over the fabric").
  public var fabricLink: String?
  public var fabricAddress: String?

  public init(
    name: String, group: Int, members: [String], mac: [UInt8]?, addresses: [RethAddress],
    gratuitousARPCount: Int, fabricLink: String? = nil, fabricAddress: String? = nil
  ) {
    self.name = name
    self.group = group
    self.members = members
    self.mac = mac
    self.addresses = addresses
    self.gratuitousARPCount = gratuitousARPCount
    self.fabricLink = fabricLink
    self.fabricAddress = fabricAddress
  }

  /// `00:10:db:ff:10:00`.
  public var macText: String {
    mac.map(RethMAC.text) ?? "member"
  }

  /// One line for `simulate` and the journal: `reth0 (RG1, eth14) 192.0.2.1/24 MAC …`.
  public var summary: String {
    "\(name) (RG\(group), \(members.joined(separator: ","))) "
      + (addresses.isEmpty ? "no addresses" : addresses.map(\.description).joined(separator: " "))
      + " MAC \(macText)"
  }
}

extension DataPlaneAction: CustomStringConvertible {
  /// `reset`, `activate`, `deactivate`, `announce` or `remove`.
  public var kind: String {
    switch self {
    case .reset: "reset"
    case .activate: "activate"
    case .deactivate: "deactivate"
    case .announce: "announce"
    case .remove: "remove"
    }
  }

  public var description: String {
    switch self {
    case .reset(let plans): "reset " + plans.map(\.name).joined(separator: " ")
    case .activate(let plan):
      "activate \(plan.summary), \(plan.gratuitousARPCount) GARP/NA per address"
    case .deactivate(let plan): "deactivate \(plan.name)"
    case .announce(let plan):
      "announce \(plan.name): \(plan.gratuitousARPCount) GARP/NA per address"
    case .remove(let plan): "remove \(plan.name)"
    }
  }
}

/// The shared MAC of reth `index` in cluster `clusterID`, by style.
public enum RethMAC {
  /// - `local`: `02:cc:a9:00:CC:NN` — the locally administered bit set, CC the cluster-id, NN
  ///   the reth index: the same on both nodes, different for every cluster-id, so two clusters
  ///   on one LAN never share a MAC.
  /// - `juniper`: SRX's `00:10:db:ff:LH:NN` — L the low and H the high nibble of the
  ///   cluster-id (cluster 1 → `…:10:NN`, cluster 18 → `…:21:NN`), NN the reth index.
  /// - `member`: nil.
  public static func address(style: RethMACStyle, clusterID: Int, index: Int) -> [UInt8]? {
    let id = UInt8(clamping: clusterID)
    let n = UInt8(clamping: index)
    switch style {
    case .local: return [0x02, 0xcc, 0xa9, 0x00, id, n]
    case .juniper: return [0x00, 0x10, 0xdb, 0xff, (id & 0x0F) << 4 | id >> 4, n]
    case .member: return nil
    }
  }

  /// "aa:bb:cc:dd:ee:ff".
  public static func text(_ mac: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return mac.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]]) }.joined(
      separator: ":")
  }
}
