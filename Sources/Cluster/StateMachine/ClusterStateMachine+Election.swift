/// One node as a candidate for primacy of one RG.
struct Candidate: Sendable {
  var node: Int
  /// Not ineligible, disabled or lost.
  var available: Bool
  /// Weight above 0 after the IP decision table, and no fabric failure on a data RG.
  var healthy: Bool
  var manualTarget: Bool
  var configuredPriority: Int
  var state: RedundancyGroupState

  /// Election order (DESIGN §3.2, §3.4–§3.6): available, then healthy (monitoring beats
  /// manual), then manual, then not in secondary-hold, then priority, then node0. Unhealthy
  /// nodes compare on node id only, so an RG whose weight is 0 on both nodes ends up on node0.
  /// A node in secondary-hold has just given the RG up and loses to a healthy secondary on both
  /// nodes' view: without that it would take the RG back on priority when its failure clears
  /// before the peer's "primary" arrives, and both would be primary (DESIGN §3.4: hold-down
  /// applies to every failover).
  var rank: (Int, Int, Int, Int, Int, Int) {
    (
      available ? 1 : 0, healthy ? 1 : 0, healthy && manualTarget ? 1 : 0,
      healthy && state != .secondaryHold ? 1 : 0, healthy ? configuredPriority : 0,
      node == 0 ? 1 : 0
    )
  }

  func beats(_ other: Candidate) -> Bool { rank > other.rank }
}

extension ClusterStateMachine {
  func candidate(node: Int, group id: Int) -> Candidate {
    let manual = groups.read(id) { $0.manual.target } == node
    if node == localNode {
      return Candidate(
        node: node, available: isLocallyAvailable, healthy: isLocallyHealthy(id),
        manualTarget: manual,
        configuredPriority: groups.read(id) { $0.configuration.priority[node] } ?? 0,
        state: groups.state(id) ?? .hold)
    }
    guard peerStatus == .up, let announcement = peer?.groups[id] else {
      return Candidate(
        node: node, available: false, healthy: false, manualTarget: manual, configuredPriority: 0,
        state: .lost)
    }
    return Candidate(
      node: node,
      available: !peerLeaving && announcement.state != .ineligible
        && announcement.state != .disabled,
      healthy: announcement.healthy, manualTarget: manual,
      configuredPriority: Int(announcement.configuredPriority), state: announcement.state)
  }

  var isLocallyAvailable: Bool { !leaving && !disabled && ineligibleSince == nil }

  /// The RG's state on a node as this node knows it; `lost` for an unreachable peer.
  public func state(of id: Int, on node: Int) -> RedundancyGroupState {
    if node == localNode { return groups.state(id) ?? .hold }
    guard peerStatus == .up, let state = peer?.groups[id]?.state else { return .lost }
    return state
  }

  func weight(of id: Int, on node: Int) -> Int {
    if node == localNode { return health(of: id).weight }
    return Int(peer?.groups[id]?.weight ?? 0)
  }

  /// Why `winner` should hold the RG rather than `loser`, for transition reasons.
  func electionReason(winner: Candidate, loser: Candidate, group groupID: Int) -> String {
    if !loser.available { return "node\(loser.node) \(loser.state)" }
    if winner.healthy && !loser.healthy {
      return "monitor failure on node\(loser.node)"
    }
    if !winner.healthy && !loser.healthy { return "weight 0 on both nodes, node0 wins" }
    if winner.manualTarget { return "manual failover" }
    if winner.configuredPriority > loser.configuredPriority {
      if groups[groupID]?.configuration.preempt != nil && loser.state == .secondaryHold {
        return "preempt (better priority \(winner.configuredPriority)/\(loser.configuredPriority))"
      }
      return "better priority (\(winner.configuredPriority)/\(loser.configuredPriority))"
    }
    // The loser gave the RG up and its hold-down runs; the winner may have the lower priority.
    if loser.state == .secondaryHold && winner.state != .secondaryHold {
      return "node\(loser.node) secondary-hold"
    }
    return "same priority (\(winner.configuredPriority)), node0 wins"
  }

  func holdDownRemaining(_ group: GroupRuntime, now: ClusterTime) -> Duration? {
    guard let last = group.lastFailoverAt else { return nil }
    let expiry = last + group.holdDown
    return now < expiry ? expiry - now : nil
  }
}
