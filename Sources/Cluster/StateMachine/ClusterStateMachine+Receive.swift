extension ClusterStateMachine {
  mutating func countError(_ link: HeartbeatMessage.Link) {
    switch link {
    case .control: control.errors &+= 1
    case .fabric: fabric.errors &+= 1
    case .lan: lan.errors &+= 1
    }
  }

  /// The reception bookkeeping of a link.
  func tracker(_ link: HeartbeatMessage.Link) -> LinkTracker {
    switch link {
    case .control: control
    case .fabric: fabric
    case .lan: lan
    }
  }

  mutating func setTracker(_ link: HeartbeatMessage.Link, _ tracker: LinkTracker) {
    switch link {
    case .control: control = tracker
    case .fabric: fabric = tracker
    case .lan: lan = tracker
    }
  }

  /// The links heartbeats go over: control and fabric, and the LAN when both ends have one.
  var heartbeatLinks: [HeartbeatMessage.Link] {
    configuration.hasLANHeartbeat ? [.control, .fabric, .lan] : [.control, .fabric]
  }

  /// Returns false when the message was rejected (and counted) before it changed anything.
  mutating func receive(_ message: HeartbeatMessage, source: String, now: ClusterTime) -> Bool {
    guard Int(message.nodeID) == peerNode else {
      countError(message.link)
      actions.append(
        .emit(
          .datagramRejected(
            link: message.link, source: source,
            reason: "message claims to come from node\(message.nodeID), expected node\(peerNode)")))
      return false
    }
    if let reason = replay.replayReason(
      epoch: message.bootEpoch, sequence: message.sequence, link: message.link)
    {
      countError(message.link)
      actions.append(
        .emit(.datagramRejected(link: message.link, source: source, reason: "\(reason)")))
      return false
    }
    let verdict = replay.accept(
      epoch: message.bootEpoch, sequence: message.sequence, link: message.link)
    if verdict == .newEpoch, let known = peerEpoch, known != message.bootEpoch {
      // The peer restarted: its new session answers a new challenge.
      challenge.renew()
    }
    // Freshness (DESIGN §4): only a message that echoes our current nonce is acted on. Any
    // other accepted message tells us the peer's nonce, and we answer it at once (once per
    // pair of nonces), so a restart or a healed partition costs one round trip.
    let mustAnswer = challenge.observe(peerNonce: message.nonce)
    guard challenge.isAnswered(by: message) else {
      if mustAnswer { announceNow = true }
      return mustAnswer
    }
    if mustAnswer { announceNow = true }
    awaitingFreshPeerView = false

    // The epoch is remembered even while the peer is lost, so a peer that died and came back
    // is seen as restarted and its sequence numbers are counted afresh.
    let restarted = peerEpoch.map { $0 != message.bootEpoch } ?? false
    if peerEpoch != message.bootEpoch {
      announceNow = true
      peer = nil
      peerLeaving = false
      control.lastSequence = 0
      fabric.lastSequence = 0
      lan.lastSequence = 0
      peerEpoch = message.bootEpoch
    }
    var tracker = self.tracker(message.link)
    tracker.received &+= 1
    tracker.lastReceivedAt = now
    let isNewest =
      message.sequence > max(control.lastSequence, fabric.lastSequence, lan.lastSequence)
      || peer == nil
    tracker.lastSequence = max(tracker.lastSequence, message.sequence)
    tracker.goodSinceDown += 1
    let cameUp = tracker.status == .down
    tracker.status = .up
    setTracker(message.link, tracker)
    if cameUp && peerStatus == .up {
      switch message.link {
      case .control: actions.append(.emit(.controlLinkUp))
      case .fabric: actions.append(.emit(.fabricLinkUp))
      case .lan: actions.append(.emit(.lanLinkUp))
      }
    }
    if peerStatus != .up || restarted {
      // Met again after a loss (not a restart of the peer): this node's sessions are stale.
      if peerStatus == .lost && !restarted { beginColdSync(now: now) }
      peerStatus = .up
      // Links count as up with the peer; the others prove themselves within a timeout.
      for link in heartbeatLinks where link != message.link {
        var other = self.tracker(link)
        other.status = .up
        other.lastReceivedAt = other.lastReceivedAt.map { max($0, now) } ?? now
        setTracker(link, other)
      }
      announceNow = true
      actions.append(.emit(.peerFound(restarted: restarted)))
    }
    guard isNewest else { return true }  // a late copy of older content on the slower link
    if message.leaving != peerLeaving {
      peerLeaving = message.leaving
      viewGeneration &+= 1
    }

    var view = PeerView(
      nodeID: Int(message.nodeID), epoch: message.bootEpoch, configDigest: message.configDigest,
      counterGeneration: message.counterGeneration, groups: PeerGroups())
    for group in message.groups {
      let id = Int(group.id)
      view.groups[id] = group
      if peer?.groups[id]?.state != group.state { peerStateChangedAt[id] = now }
    }
    if peer?.groups != view.groups || peer?.configDigest != view.configDigest {
      viewGeneration &+= 1
    }
    peer = view
    adoptReplicatedState(from: view)

    let mismatch = view.configDigest != configDigest
    if mismatch != configMismatch {
      configMismatch = mismatch
      actions.append(
        .emit(
          mismatch
            ? .configMismatch(localDigest: configDigest, peerDigest: view.configDigest)
            : .configMatch))
    }
    return true
  }

  /// Failover counts, their generation and manual failover are cluster-wide: adopt newer ones.
  ///
  /// Generations compare as bounded serial numbers; only the first view after this agent
  /// started is adopted whatever its distance (a node that restarts at 0 joins a peer whose
  /// generations went beyond the bound).
  private mutating func adoptReplicatedState(from view: PeerView) {
    let first = !replicatedStateAdopted
    replicatedStateAdopted = true
    func newer(_ theirs: UInt32, than ours: UInt32) -> Bool {
      SerialNumber.isNewer(theirs, than: ours) || (first && theirs != ours)
    }
    if newer(view.counterGeneration, than: counterGeneration) {
      counterGeneration = view.counterGeneration
      for id in groupIDs {
        groups[id]?.failoverCount = Int(view.groups[id]?.failoverCount ?? 0)
      }
    } else if view.counterGeneration == counterGeneration {
      for (id, announcement) in view.groups {
        guard let local = groups.read(id, { $0.failoverCount }),
          Int(announcement.failoverCount) > local
        else { continue }
        groups[id]?.failoverCount = Int(announcement.failoverCount)
      }
    }
    // In place, and only what changed: a copy of each runtime per message was most of an idle
    // agent's CPU with 129 RGs.
    for (id, announcement) in view.groups {
      guard let (manual, preemptGeneration) = groups.read(id, { ($0.manual, $0.preemptGeneration) })
      else { continue }
      let theirs = ManualFailover(
        target: announcement.manualTarget.map(Int.init),
        generation: announcement.manualGeneration, author: Int(announcement.manualAuthor))
      if theirs.isNewer(than: manual) || (first && theirs.generation != manual.generation) {
        groups[id]?.manual = theirs
      }
      if newer(announcement.preemptGeneration, than: preemptGeneration) {
        groups[id]?.preemptGeneration = announcement.preemptGeneration
        groups[id]?.preemptSuspended = false
        groups[id]?.preemptHistory.removeAll()
      }
    }
  }
}
