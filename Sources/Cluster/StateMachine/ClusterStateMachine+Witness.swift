/// The witness rules on the node (DESIGN §12). Without `witness` configured every answer here
/// is "as today", so SRX behaviour is unchanged.
extension ClusterStateMachine {
  /// The witness answered one of our requests (decoded and authenticated by the shell).
  public mutating func witnessReplyReceived(_ reply: WitnessReply, now: ClusterTime)
    -> [ClusterAction]
  {
    guard let lease = witnessLease, Int(reply.nodeID) == localNode,
      reply.echoedEpoch == bootEpoch, let sentAt = witness.sentAt[reply.echoedSequence]
    else {
      return witnessDatagramRejected(reason: "answer to no request of ours", now: now)
    }
    witness.received &+= 1
    if reply.echoedSequence > witness.nonceSequence {
      witness.nonceSequence = reply.echoedSequence
      witness.nonceToEcho = reply.nonce
    }
    guard reply.recorded, reply.echoedSequence > witness.answeredSequence else {
      // Not counted yet (first contact, or the witness restarted): the next request echoes
      // the new nonce and is.
      if reply.echoedSequence > witness.answeredSequence { announceWitnessNow = true }
      return finish(now: now)
    }
    witness.answeredSequence = reply.echoedSequence
    witness.vouchedUntil = sentAt + lease
    witness.lastContactAt = now
    witness.prune(before: sentAt)
    let wasGranted = witness.holder == localNode && witness.confirmed
    let previousHolder = witness.holder
    witness.holder = reply.holder.map(Int.init)
    witness.confirmed = reply.confirmed
    if witness.reachability != .up {
      witness.reachability = .up
      actions.append(.emit(.witness(.found)))
    }
    let granted = witness.holder == localNode && witness.confirmed
    if granted != wasGranted || witness.holder != previousHolder {
      actions.append(
        .emit(.witness(.grantChanged(holder: witness.holder, confirmed: witness.confirmed))))
    }
    viewGeneration &+= 1
    return finish(now: now)
  }

  /// A datagram on the witness socket that failed to decode, authenticate or match.
  public mutating func witnessDatagramRejected(reason: String, now: ClusterTime)
    -> [ClusterAction]
  {
    witness.errors &+= 1
    return [.emit(.witness(.rejected(reason: reason)))]
  }

  /// How long one counted answer vouches for this node: the link-failure timeout.
  var witnessLease: Duration? {
    configuration.witness == nil ? nil : configuration.linkFailureTimeout
  }

  /// The peer is heard on no path: the witness decides (when there is one).
  var peerUnreachable: Bool { peerStatus != .up }

  /// This node holds a confirmed, still vouched grant.
  func holdsWitnessGrant(at now: ClusterTime) -> Bool {
    witness.holder == localNode && witness.confirmed && witness.vouched(at: now)
  }

  /// May this node take over an RG although its peer is heard on no path?
  func witnessAllowsTakeover(now: ClusterTime) -> Bool {
    configuration.witness == nil || holdsWitnessGrant(at: now)
  }

  /// Why a primary that hears its peer on no path must give its RGs up, or nil to keep them:
  /// it keeps them while it holds the grant, or while the witness vouches for it and grants
  /// no one else (the witness then waits for this node, the current primary).
  func witnessGiveUpReason(now: ClusterTime) -> String? {
    guard configuration.witness != nil, peerUnreachable else { return nil }
    if holdsWitnessGrant(at: now) { return nil }
    guard witness.vouched(at: now) else { return "peer and witness lost" }
    if witness.holder == peerNode { return "witness grant to node\(peerNode)" }
    return nil
  }

  /// Whether this node would take an RG if granted: it claims only then, so that an ineligible
  /// or stopping node never takes the grant from one that could use it, and a starting node
  /// not before its boot hold is over (its peer usually answers first).
  func witnessClaim(now: ClusterTime) -> Bool {
    guard configuration.witness != nil, peerUnreachable, isLocallyAvailable else { return false }
    return bootedAt.map { now >= $0 + configuration.bootHoldTime } ?? false
  }

  /// Witness status for the snapshot.
  func witnessStatus(now: ClusterTime) -> WitnessStatus? {
    guard let endpoint = configuration.witness else { return nil }
    return WitnessStatus(
      address: endpoint.address, port: endpoint.port, reachability: witness.reachability,
      grantHolder: witness.holder, grantConfirmed: witness.confirmed,
      holdsGrant: holdsWitnessGrant(at: now), claiming: witnessClaim(now: now),
      lastContactMilliseconds: witness.lastContactAt?.milliseconds,
      requestsSent: witness.sent, repliesReceived: witness.received, replyErrors: witness.errors)
  }

  /// Marks the witness lost when its last answer stops vouching; part of every evaluation.
  mutating func evaluateWitness(now: ClusterTime) {
    guard configuration.witness != nil, witness.reachability == .up, !witness.vouched(at: now)
    else { return }
    witness.reachability = .lost
    viewGeneration &+= 1
    actions.append(
      .emit(
        .witness(
          .lost(
            lastContactAgeMilliseconds: witness.lastContactAt.map { (now - $0).millisecondsClamped }
          )
        )))
  }

  /// Sends a request with every periodic heartbeat and whenever its content changes.
  mutating func announceToWitness(now: ClusterTime, periodic: Bool) {
    guard let lease = witnessLease else { return }
    let content = WitnessContent(
      claim: witnessClaim(now: now),
      primary: groupIDs.contains { groups.state($0) == .primary },
      priority: UInt8(clamping: groups[0]?.configuration.priority[localNode] ?? 0))
    guard periodic || announceWitnessNow || content != witness.lastContent else { return }
    announceWitnessNow = false
    witness.lastContent = content
    witness.sequence &+= 1
    witness.sent &+= 1
    witness.sentAt[witness.sequence] = now
    witness.prune(before: now + (.zero - lease))
    actions.append(
      .sendWitnessRequest(
        WitnessRequest(
          clusterID: UInt8(clamping: configuration.clusterID), nodeID: UInt8(localNode),
          bootEpoch: bootEpoch, sequence: witness.sequence, echoedNonce: witness.nonceToEcho,
          leaseMilliseconds: UInt32(clamping: lease.millisecondsClamped), claim: content.claim,
          primary: content.primary, priority: content.priority)))
  }

  /// Deadlines of the witness rules, for `nextDeadline`.
  var witnessDeadlines: [ClusterTime?] {
    configuration.witness == nil ? [] : [witness.vouchedUntil]
  }
}

extension ClusterStateMachine {
  /// A takeover without the peer says when the witness allowed it.
  func takeoverReason(_ reason: String) -> String {
    configuration.witness == nil ? reason : reason + " (witness grant)"
  }
}
