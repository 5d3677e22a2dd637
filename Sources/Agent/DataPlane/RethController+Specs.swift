import Cluster

/// Reths that come and go with a reloaded configuration (the core's `reset` for a new or
/// changed reth, `remove` for one gone).
extension RethController {
  /// Takes `spec` for its reth; `prepareDown` then sets it up. A reth whose member, MAC or
  /// addresses changed is first removed as it was (its link, or its addresses on the old
  /// member, and the sysctls written for it), so nothing of the old one stays behind. A
  /// changed GARP count or router flag needs nothing more.
  func adopt(_ spec: RethSpec) throws {
    if let old = specs[spec.name],
      old.member != spec.member || old.mac != spec.mac || old.addresses != spec.addresses
    {
      try remove(spec.name)
    }
    specs[spec.name] = spec
    if counters[spec.name] == nil { counters[spec.name] = RethCounters() }
  }

  /// Drops a reth that left the configuration, after `remove`: its spec and its counters
  /// (the views and the MIB stop listing it).
  func forget(_ name: String) {
    specs[name] = nil
    counters[name] = nil
  }
}

extension RethSpec {
  /// The data plane's view of the core's plan: the first member is the macvlan's parent.
  /// Nil when the plan has no member or an address that does not parse.
  init?(_ plan: RethPlan) {
    guard let member = plan.members.first else { return nil }
    self.init(
      name: plan.name, member: member, mac: plan.mac,
      addresses: plan.addresses.map(\.description), announcementCount: plan.gratuitousARPCount,
      fabricLink: plan.fabricLink, fabricAddress: plan.fabricAddress)
  }
}
