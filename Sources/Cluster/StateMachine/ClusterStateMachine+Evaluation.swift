extension ClusterStateMachine {
  /// Re-evaluates every rule, sends what must be announced, and hands the actions over.
  mutating func finish(now: ClusterTime) -> [ClusterAction] {
    lastEvaluatedAt = now
    if healthCache == nil {
      var healths = [GroupHealth?](repeating: nil, count: (groupIDs.last ?? -1) + 1)
      for id in groupIDs { healths[id] = computeHealth(of: id) }
      healthCache = healths
    }
    evaluateLinks(now: now)
    evaluateWitness(now: now)
    // Roles feed back into node conditions (RG0 primary decides who goes ineligible), so settle.
    for _ in 0..<4 {
      let before = transitionCount
      evaluateNodeConditions(now: now)
      for id in groupIDs { evaluateGroup(id, now: now) }
      evaluateSplitBrain(now: now)
      if transitionCount == before { break }
    }
    evaluateColdSync(now: now)
    announce(now: now)
    defer { actions.removeAll(keepingCapacity: true) }
    let reths = dataPlaneActions(now: now)
    let sessions = sessionSyncActions(now: now)
    if reths.actions.isEmpty && sessions.before.isEmpty && sessions.after.isEmpty {
      return actions
    }
    // The commit first: the peer's sessions are in the kernel before the reths come up.
    return sessions.before + reths.actions + sessions.after + actions + reths.events
  }

  /// The earliest time at which time alone can change something; the shell calls `tick` then.
  public var nextDeadline: ClusterTime? {
    // Deadlines already passed have been acted on (or wait for a message): never spin on them.
    // Folded one by one: an array of every RG's candidates was built at each input.
    let after = lastEvaluatedAt ?? .zero
    var earliest: ClusterTime?
    func consider(_ deadline: ClusterTime?) {
      guard let deadline, deadline > after else { return }
      if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
    }
    consider(nextHeartbeatAt)
    let timeout = configuration.linkFailureTimeout
    if peerStatus == .up {
      if control.status == .up { consider(control.lastReceivedAt.map { $0 + timeout }) }
      if fabric.status == .up { consider(fabric.lastReceivedAt.map { $0 + timeout }) }
      if lan.status == .up { consider(lan.lastReceivedAt.map { $0 + timeout }) }
    }
    for deadline in witnessDeadlines { consider(deadline) }
    if let bootedAt, groupIDs.contains(where: { groups.state($0) == .hold }) {
      consider(bootedAt + configuration.bootHoldTime)
    }
    for id in groupIDs {
      groups.read(id) { group in
        consider(group.secondaryHoldUntil)
        consider(group.pendingFailoverAt)
        if let since = group.preemptConditionSince,
          let delay = group.configuration.preempt?.delaySeconds
        {
          consider(since + .seconds(delay))
        }
      }
    }
    consider(coldSyncDeadline)
    if let ineligibleSince {
      consider(ineligibleSince + .seconds(configuration.controlLinkFailureTimeoutSeconds))
    }
    return earliest
  }

  // MARK: - Links and the peer

  private mutating func evaluateLinks(now: ClusterTime) {
    guard peerStatus == .up else { return }
    let timeout = configuration.linkFailureTimeout
    let controlSilent = control.lastReceivedAt.map { now - $0 >= timeout } ?? true
    let fabricSilent = fabric.lastReceivedAt.map { now - $0 >= timeout } ?? true
    let lanConfigured = configuration.hasLANHeartbeat
    let lanSilent = !lanConfigured || (lan.lastReceivedAt.map { now - $0 >= timeout } ?? true)
    let interval = configuration.heartbeatIntervalMilliseconds
    // The LAN heartbeat proves the peer alive: with it, control and fabric fail as links.
    let lanProvesControl =
      lanConfigured
      && Self.keepsArriving(
        lan, beyond: control, now: now, interval: configuration.heartbeatInterval)
    let lanProvesFabric =
      lanConfigured
      && Self.keepsArriving(
        lan, beyond: fabric, now: now, interval: configuration.heartbeatInterval)
    if controlSilent && fabricSilent && lanSilent {
      let last = [control.lastReceivedAt, fabric.lastReceivedAt, lan.lastReceivedAt]
        .compactMap { $0 }.max()
      peerStatus = .lost
      peer = nil
      peerLeaving = false
      // A new session: messages withheld or recorded in this one no longer make the peer up.
      challenge.renew()
      for link in [HeartbeatMessage.Link.control, .fabric, .lan] {
        var tracker = self.tracker(link)
        tracker.status = .down
        tracker.goodSinceDown = 0
        setTracker(link, tracker)
      }
      actions.append(
        .emit(.peerLost(lastMessageAgeMilliseconds: last.map { (now - $0).millisecondsClamped })))
      return
    }
    if lanConfigured, lanSilent, lan.status == .up,
      Self.keepsArriving(
        control, beyond: lan, now: now, interval: configuration.heartbeatInterval)
        || Self.keepsArriving(
          fabric, beyond: lan, now: now, interval: configuration.heartbeatInterval)
    {
      lan.status = .down
      lan.goodSinceDown = 0
      let age = lan.lastReceivedAt.map { (now - $0).millisecondsClamped }
      actions.append(
        .emit(
          .lanLinkDown(
            missedHeartbeats: Self.missed(age: age, interval: interval),
            lastHeartbeatAgeMilliseconds: age)))
    }
    if controlSilent, control.status == .up,
      Self.keepsArriving(
        fabric, beyond: control, now: now, interval: configuration.heartbeatInterval)
        || lanProvesControl
    {
      // Legitimate control-link failure: probes carry the sequence numbers heartbeats missed.
      control.status = .down
      control.goodSinceDown = 0
      let age = control.lastReceivedAt.map { (now - $0).millisecondsClamped }
      actions.append(
        .emit(
          .controlLinkDown(
            missedHeartbeats: Self.missed(age: age, interval: interval),
            lastHeartbeatAgeMilliseconds: age)))
    }
    if fabricSilent, fabric.status == .up,
      Self.keepsArriving(
        control, beyond: fabric, now: now, interval: configuration.heartbeatInterval)
        || lanProvesFabric
    {
      fabric.status = .down
      fabric.goodSinceDown = 0
      let age = fabric.lastReceivedAt.map { (now - $0).millisecondsClamped }
      actions.append(
        .emit(
          .fabricLinkDown(
            missedProbes: Self.missed(age: age, interval: interval),
            lastProbeAgeMilliseconds: age)))
    }
  }

  /// Whether `alive` still carries messages the silent link missed: at least two newer sequence
  /// numbers, the latest within two intervals. A single late datagram after both links were
  /// cut one after the other is not proof of a live link; the peer is then lost, not cut off.
  static func keepsArriving(
    _ alive: LinkTracker, beyond silent: LinkTracker, now: ClusterTime, interval: Duration
  ) -> Bool {
    guard let last = alive.lastReceivedAt, now - last < interval * 2 else { return false }
    return alive.lastSequence >= silent.lastSequence &+ 2
  }

  private static func missed(age: Int64?, interval: Int) -> Int {
    guard let age, interval > 0 else { return 0 }
    return Int(clamping: age / Int64(interval))
  }

  // MARK: - Node conditions: control-link failure, disabled, fabric failure

  private mutating func evaluateNodeConditions(now: ClusterTime) {
    let isRG0Primary = groups.state(0) == .primary
    // With the LAN heartbeat, losing control and fabric together is a control-link failure too.
    if peerStatus == .up, control.status == .down, fabric.status == .up || lan.status == .up,
      ineligibleSince == nil, !disabled, !isRG0Primary
    {
      ineligibleSince = now
      setAllGroups(.ineligible, reason: "control link failure", now: now)
    }
    if let since = ineligibleSince {
      if configuration.witness != nil, peerStatus != .up {
        // The peer went silent on every path after the control link: the witness decides now
        // who may take over (DESIGN §12), so this node is a candidate again.
        ineligibleSince = nil
        setAllGroups(.secondary, reason: "peer lost", now: now)
      } else if control.status == .up {
        ineligibleSince = nil
        rejoin(reason: "control link recovered", now: now)
      } else if now >= since + .seconds(configuration.controlLinkFailureTimeoutSeconds) {
        ineligibleSince = nil
        disabled = true
        setAllGroups(.disabled, reason: "control link failure timeout", now: now)
      }
    }
    if disabled, configuration.controlLinkRecovery, control.status == .up,
      control.goodSinceDown >= 3
    {
      disabled = false
      rejoin(reason: "control link recovered", now: now)
    }
    // FL: the RG0-secondary node gives up its data RGs while the fabric is down.
    let wantFabricFailure =
      peerStatus == .up && fabric.status == .down && control.status == .up && !isRG0Primary
    if wantFabricFailure != fabricFailure { fabricFailure = wantFabricFailure }
  }

  private mutating func setAllGroups(
    _ state: RedundancyGroupState, reason: String, now: ClusterTime
  ) {
    for id in groupIDs where groups.state(id) != state {
      if groups.state(id) == .primary { groups[id]?.lastFailoverAt = now }
      transition(id, to: state, reason: reason, now: now)
    }
  }

  // MARK: - One redundancy group

  private mutating func evaluateGroup(_ id: Int, now: ClusterTime) {
    guard !leaving else { return }
    failBackManualIfNeeded(id, now: now)
    guard let groupState = groups.state(id) else { return }
    let me = candidate(node: localNode, group: id)
    let other = candidate(node: peerNode, group: id)
    let peerState: RedundancyGroupState? = peerStatus == .up ? peer?.groups[id]?.state : nil

    switch groupState {
    case .disabled, .ineligible, .lost:
      return
    case .primary where witnessGiveUpReason(now: now) != nil:
      // Alone, without the witness's grant: another node may be taking over (DESIGN §12).
      groups[id]?.lastFailoverAt = now
      transition(id, to: .secondary, reason: witnessGiveUpReason(now: now) ?? "", now: now)
      return
    case .hold:
      if peerLeaving && peerStatus == .up {
        transition(id, to: .primary, reason: "peer leaving", now: now)
        return
      }
      if peerState == .primary {
        transition(id, to: .secondary, reason: "peer is primary", now: now)
        return
      }
      guard let bootedAt, now >= bootedAt + configuration.bootHoldTime else { return }
      switch peerState {
      case nil:
        guard witnessAllowsTakeover(now: now) else { return }  // wait for the witness's grant
        transition(id, to: .primary, reason: takeoverReason("hold timer expired"), now: now)
      case .hold?:
        // Both came up within the window: the better candidate takes it, the other waits.
        if me.beats(other) {
          transition(
            id, to: .primary, reason: electionReason(winner: me, loser: other, group: id), now: now)
        }
      case .ineligible?, .disabled?, .lost?:
        transition(id, to: .primary, reason: "hold timer expired", now: now)
      case .secondary?, .secondaryHold?, .primary?:
        return  // the peer was up first and takes it
      }
    case .primary:
      evaluatePrimary(id, me: me, other: other, now: now)
    case .secondaryHold, .secondary:
      if peerStatus != .up {
        if witnessAllowsTakeover(now: now) {
          transition(id, to: .primary, reason: takeoverReason("peer lost"), now: now)
        }
        return
      }
      if peerLeaving {
        transition(id, to: .primary, reason: "peer leaving", now: now)
        return
      }
      // The peer may have taken the RG on our own absence; its answer is one round trip away.
      if awaitingFreshPeerView { return }
      if peerState != .primary, me.available,
        !other.available || other.state == .hold || me.beats(other)
      {
        let reason =
          other.state == .hold
          ? "peer restarted" : electionReason(winner: me, loser: other, group: id)
        transition(id, to: .primary, reason: reason, now: now)
        return
      }
      if groupState == .secondaryHold, let until = groups[id]?.secondaryHoldUntil, now >= until {
        transition(id, to: .secondary, reason: "ready to become secondary", now: now)
      }
    }
  }

  private mutating func evaluatePrimary(
    _ id: Int, me: Candidate, other: Candidate, now: ClusterTime
  ) {
    // The steady state, decided without copying the runtime: nothing pending, no manual
    // request, no failure to hand over for, no better-priority peer to preempt for. Exactly the
    // cases in which `giveUpReason` returns nil and changes nothing.
    let settled =
      groups.read(id) { group in
        group.pendingFailoverAt == nil && group.preemptConditionSince == nil
          && group.manual.target == nil
          && (group.configuration.preempt == nil || other.state != .secondary
            || other.configuredPriority <= me.configuredPriority)
      } ?? true
    if settled && (me.healthy || !(other.healthy || other.node == 0)) { return }
    guard var group = groups[id] else { return }
    guard let reason = giveUpReason(&group, me: me, other: other, now: now) else {
      group.pendingFailoverAt = nil
      groups[id] = group
      return
    }
    if let remaining = holdDownRemaining(group, now: now) {
      group.pendingFailoverAt = now + remaining
      groups[id] = group
      return
    }
    group.pendingFailoverAt = nil
    group.preemptConditionSince = nil
    if reason == "preempt" { group.preemptHistory.append(now) }
    group.lastFailoverAt = now
    group.lastFailoverReason = reason  // the giver knows why; the taker records its own view
    group.secondaryHoldUntil = now + group.holdDown
    groups[id] = group
    transition(id, to: .secondaryHold, reason: reason, now: now)
  }

  /// Why the primary should hand the RG to its peer, or nil to keep it.
  private mutating func giveUpReason(
    _ group: inout GroupRuntime, me: Candidate, other: Candidate, now: ClusterTime
  ) -> String? {
    guard other.available, other.state == .secondary || other.state == .secondaryHold else {
      group.preemptConditionSince = nil
      return nil
    }
    if !me.healthy && (other.healthy || other.node == 0) {
      group.preemptConditionSince = nil
      let codes = failureCodes(of: group.id).subtracting(.configSync)
      return codes == .fabric ? "fabric link failure" : "monitor failure (\(codes))"
    }
    if group.manual.target == other.node && other.healthy {
      group.preemptConditionSince = nil
      return "manual failover"
    }
    // While CF is raised the two nodes may disagree on priorities: no priority-driven move
    // (DESIGN §3.1); monitor failures (above) and peer loss still act.
    guard !configMismatch, let preempt = group.configuration.preempt, group.manual.target == nil,
      !group.preemptSuspended, me.healthy, other.healthy, other.state == .secondary,
      other.configuredPriority > me.configuredPriority
    else {
      group.preemptConditionSince = nil
      return nil
    }
    let since = group.preemptConditionSince ?? now
    group.preemptConditionSince = since
    guard now >= since + .seconds(preempt.delaySeconds) else { return nil }
    if let limit = preempt.limit, let period = preempt.periodSeconds {
      group.preemptHistory.removeAll { now - $0 >= .seconds(period) }
      if group.preemptHistory.count >= limit {
        group.preemptSuspended = true
        group.preemptConditionSince = nil
        actions.append(
          .emit(.preemptLimitReached(group: group.id, limit: limit, periodSeconds: period)))
        return nil
      }
    }
    return "preempt"
  }

  /// Manual failover ends when its target fails: its weight reaches 0 or it is lost.
  private mutating func failBackManualIfNeeded(_ id: Int, now: ClusterTime) {
    guard let target = groups.read(id, { $0.manual.target }) ?? nil, var group = groups[id]
    else { return }
    let why: String
    if target == peerNode && peerStatus != .up {
      why = "failback: node\(target) lost"
    } else if state(of: id, on: target) == .primary && !candidate(node: target, group: id).healthy {
      why = "failback: node\(target) weight reached 0"
    } else {
      return
    }
    group.manual = ManualFailover(
      target: nil, generation: group.manual.generation &+ 1, author: localNode)
    groups[id] = group
    actions.append(.emit(.manualFailoverReset(group: id, requestedBy: nil, reason: why)))
  }

  // MARK: - Split brain

  private mutating func evaluateSplitBrain(now: ClusterTime) {
    guard peerStatus == .up, let peer else {
      if !splitBrainGroups.isEmpty {
        let groups = splitBrainGroups.sorted()
        splitBrainGroups.removeAll()
        actions.append(
          .emit(
            .splitBrainResolved(
              SplitBrainResolution(groups: groups, winner: localNode, reason: "peer lost"))))
      }
      return
    }
    let dual = groupIDs.filter {
      groups.state($0) == .primary && peer.groups[$0]?.state == .primary
    }
    let fresh = dual.filter { !splitBrainGroups.contains($0) }
    if !fresh.isEmpty {
      if splitBrainGroups.isEmpty { splitBrainCount += 1 }
      splitBrainGroups.formUnion(fresh)
      lastSplitBrainAt = now
      actions.append(
        .emit(
          .splitBrainDetected(
            SplitBrain(
              groups: fresh, localPriorities: fresh.map { effectivePriority(of: $0) },
              peerPriorities: fresh.map { Int(peer.groups[$0]?.effectivePriority ?? 0) }))))
    }
    for id in dual {
      let me = candidate(node: localNode, group: id)
      let other = candidate(node: peerNode, group: id)
      if other.beats(me), var group = groups[id] {
        group.secondaryHoldUntil = now + group.holdDown
        groups[id] = group
        transition(id, to: .secondaryHold, reason: "split brain resolved", now: now)
      }
    }
    let resolved = splitBrainGroups.filter { !dual.contains($0) }.sorted()
    guard !resolved.isEmpty else { return }
    splitBrainGroups.subtract(resolved)
    var byWinner: [Int: [Int]] = [:]
    for id in resolved {
      let winner = state(of: id, on: localNode) == .primary ? localNode : peerNode
      byWinner[winner, default: []].append(id)
    }
    for (winner, ids) in byWinner.sorted(by: { $0.key < $1.key }) {
      let w = candidate(node: winner, group: ids[0])
      let l = candidate(node: 1 - winner, group: ids[0])
      actions.append(
        .emit(
          .splitBrainResolved(
            SplitBrainResolution(
              groups: ids, winner: winner,
              reason: electionReason(winner: w, loser: l, group: ids[0])))))
    }
  }

  /// Back from ineligible or disabled: secondary, or secondary-hold while the hold-down of a
  /// primacy this node gave up still runs. A node that has just announced itself ineligible
  /// must not take an RG back on priority in the instant its peer takes it on that
  /// announcement (the soak found both primary when the control link came back within
  /// milliseconds of its timeout); in secondary-hold it ranks below a healthy secondary on both
  /// nodes' view (`Candidate.rank`), as after any other failover (DESIGN §3.4). Its view of the
  /// peer may be stale too (the peer's "primary" on our absence still in flight, the soak's
  /// seed 2): a renewed nonce marks which of the peer's messages were sent after our return,
  /// and until one arrives no election moves an RG here (a lost peer still does).
  private mutating func rejoin(reason: String, now: ClusterTime) {
    if peerStatus == .up {
      challenge.renew()
      awaitingFreshPeerView = true
      announceNow = true
    }
    for id in groupIDs {
      guard var group = groups[id], group.state != .secondary else { continue }
      if let remaining = holdDownRemaining(group, now: now) {
        group.secondaryHoldUntil = now + remaining
        groups[id] = group
        transition(id, to: .secondaryHold, reason: reason, now: now)
      } else {
        transition(id, to: .secondary, reason: reason, now: now)
      }
    }
  }

  // MARK: - Transitions

  mutating func transition(
    _ id: Int, to state: RedundancyGroupState, reason: String, now: ClusterTime
  ) {
    guard var group = groups[id], group.state != state else { return }
    viewGeneration &+= 1
    transitionCount &+= 1
    let from = group.state
    group.state = state
    group.lastTransitionAt = now
    if state == .primary {
      group.failoverCount += 1
      group.lastFailoverReason = reason
      if from != .hold { group.lastFailoverAt = now }
      group.secondaryHoldUntil = nil
    }
    if state == .secondary { group.secondaryHoldUntil = nil }
    group.history.append(TransitionRecord(time: now, from: from, to: state, reason: reason))
    if group.history.count > GroupRuntime.historyLimit {
      group.history.removeFirst(group.history.count - GroupRuntime.historyLimit)
    }
    groups[id] = group
    let peerPriority: Int? =
      peerStatus == .up ? peer?.groups[id].map { Int($0.effectivePriority) } : nil
    actions.append(
      .emit(
        .groupStateChanged(
          GroupStateChange(
            group: id, from: from, to: state, reason: reason, failoverCount: group.failoverCount,
            localPriority: effectivePriority(of: id), peerPriority: peerPriority))))
  }

  // MARK: - Heartbeats

  private mutating func announce(now: ClusterTime) {
    let content = announcement()
    let periodic = nextHeartbeatAt.map { now >= $0 } ?? false
    announceToWitness(now: now, periodic: periodic)
    guard periodic || announceNow || content != lastAnnounced else { return }
    announceNow = false
    if periodic, let next = nextHeartbeatAt {
      let following = next + configuration.heartbeatInterval
      // After a stall, resume the rhythm from now instead of sending a burst.
      nextHeartbeatAt = following > now ? following : now + configuration.heartbeatInterval
    }
    lastAnnounced = content
    sequence &+= 1
    control.sent &+= 1
    fabric.sent &+= 1
    if configuration.hasLANHeartbeat { lan.sent &+= 1 }
    let nonces = challenge.outgoing()
    actions.append(
      .sendHeartbeat(
        HeartbeatMessage(
          link: .control, clusterID: UInt8(clamping: configuration.clusterID),
          nodeID: UInt8(localNode), bootEpoch: bootEpoch, sequence: sequence,
          configDigest: configDigest, counterGeneration: counterGeneration,
          nonce: nonces.nonce, echoedNonce: nonces.echoed, leaving: leaving, groups: content)))
  }

  func announcement() -> [GroupAnnouncement] {
    groupIDs.compactMap { id in
      guard
        let fields = groups.read(
          id,
          {
            (
              $0.state, $0.manual, $0.configuration.priority[localNode], $0.failoverCount,
              $0.preemptGeneration
            )
          })
      else { return nil }
      let (state, manual, priority, failoverCount, preemptGeneration) = fields
      return GroupAnnouncement(
        id: UInt8(clamping: id), configuredPriority: UInt8(clamping: priority),
        effectivePriority: UInt8(clamping: effectivePriority(of: id)),
        weight: Int16(clamping: health(of: id).weight), state: state,
        healthy: isLocallyHealthy(id), failureCodes: failureCodes(of: id),
        failoverCount: UInt32(clamping: failoverCount),
        manualTarget: manual.target.map { UInt8(clamping: $0) },
        manualGeneration: manual.generation, manualAuthor: UInt8(clamping: manual.author),
        preemptGeneration: preemptGeneration)
    }
  }
}
