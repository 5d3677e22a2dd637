extension ClusterConfiguration {
  /// Every reth `node` runs: one with a redundancy group and a member on that node. The state
  /// machine drives these; `ccagentd --cleanup-reths` takes them down without one.
  public func rethPlans(on node: Int) -> [RethPlan] {
    redundantEthernets.keys.sorted().compactMap { name in
      guard let reth = redundantEthernets[name], let group = reth.redundancyGroup else {
        return nil
      }
      let members = reth.members(on: node)
      guard !members.isEmpty else { return nil }
      return RethPlan(
        name: name, group: group, members: members,
        mac: RethMAC.address(
          style: rethMAC, clusterID: clusterID, index: RedundantEthernet.index(of: name) ?? 0),
        addresses: reth.addresses,
        gratuitousARPCount: redundancyGroups[group]?.gratuitousARPCount ?? 4,
        fabricLink: fabricMembers[node].first, fabricAddress: nodes[node].fabricAddress)
    }
  }
}
