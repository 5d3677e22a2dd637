/// Session sync (DESIGN §11): which conntrackd commands the role changes call for, and cold
/// sync (`CS`), SRX's rule that a node which just (re)joined takes no RG with reths by
/// preference or by request until it holds the primary's sessions.
extension ClusterStateMachine {
  /// A sample older than this with no message from the peer's conntrackd means a stall: FTFW
  /// sends one each second even when there is nothing to sync.
  static let sessionSyncStallAfter = Duration.seconds(3)

  /// The RGs with a reth on this node, when sessions are synced: the ones commits and `CS`
  /// are about.
  var sessionSyncGroups: [Int] {
    guard configuration.sessionSync != nil else { return [] }
    return Set(rethPlans.map(\.group)).sorted()
  }

  private func hasReth(_ id: Int) -> Bool {
    configuration.redundantEthernets.values.contains {
      $0.redundancyGroup == id && !$0.members(on: localNode).isEmpty
    }
  }

  /// `CS` counts for this RG: cold sync is pending, the RG has a reth here, and the peer is
  /// its primary (the one whose sessions are missing). With no primary to sync from (both
  /// nodes starting) the election goes by priority as usual.
  func coldSyncActive(_ id: Int) -> Bool {
    guard sessionSync.coldSyncSince != nil, groups.state(id) != .primary, peerStatus == .up,
      peer?.groups[id]?.state == .primary
    else { return false }
    return hasReth(id)
  }

  /// The agent started, or met its peer again after losing it while primary of nothing with
  /// reths: its external cache is empty or stale until the primary's bulk sync arrives.
  mutating func beginColdSync(now: ClusterTime) {
    guard sessionSync.coldSyncSince == nil, !sessionSyncGroups.isEmpty,
      !sessionSyncGroups.contains(where: { groups.state($0) == .primary })
    else { return }
    sessionSync.coldSyncSince = now
    sessionSync.coldSyncWaited = false
    sessionSync.resyncBaseline = nil
    sessionSync.samplesSinceRequest = 0
    viewGeneration &+= 1
    actions.append(.emit(.sessionSync(.coldSyncStarted)))
  }

  private mutating func endColdSync(_ event: SessionSyncEvent) {
    sessionSync.coldSyncSince = nil
    sessionSync.resyncRequestedAt = nil
    viewGeneration &+= 1
    actions.append(.emit(.sessionSync(event)))
  }

  /// After the roles settled: `CS` ends when this node took an RG over anyway (the primary
  /// died: better some sessions than none) or when `cold-sync-timeout` has passed.
  mutating func evaluateColdSync(now: ClusterTime) {
    guard let since = sessionSync.coldSyncSince, let sync = configuration.sessionSync else {
      return
    }
    let groups = sessionSyncGroups
    if groups.contains(where: coldSyncActive) { sessionSync.coldSyncWaited = true }
    if let taken = groups.first(where: { self.groups[$0]?.state == .primary }) {
      endColdSync(
        .coldSyncAbandoned(
          reason: sessionSync.coldSyncWaited
            ? "became primary for rg\(taken) before the bulk sync arrived"
            : "became primary for rg\(taken) with no primary to sync from"))
    } else if groups.isEmpty {
      endColdSync(.coldSyncAbandoned(reason: "no redundancy group with reths any more"))
    } else if now >= since + sync.coldSyncTimeout {
      endColdSync(.coldSyncTimedOut(seconds: sync.coldSyncTimeoutSeconds))
    }
  }

  var coldSyncDeadline: ClusterTime? {
    guard let since = sessionSync.coldSyncSince, let sync = configuration.sessionSync else {
      return nil
    }
    return since + sync.coldSyncTimeout
  }

  /// The conntrackd commands the roles just decided call for, as two lists: the commit goes
  /// before the batch's data-plane actions (the peer's sessions are in the kernel before the
  /// reths come up), the rest after them. Compared with what was last asked, like the data
  /// plane, so each change is asked once.
  mutating func sessionSyncActions(now: ClusterTime) -> (
    before: [ClusterAction], after: [ClusterAction]
  ) {
    guard let sync = configuration.sessionSync else { return ([], []) }
    let rethGroups = sessionSyncGroups
    let primary = Set(rethGroups.filter { groups.state($0) == .primary })
    let fresh = primary.subtracting(sessionSync.primaryGroups).sorted()
    var before: [SessionSyncAction] = []
    var after: [SessionSyncAction] = []
    if !fresh.isEmpty {
      // With the external cache disabled the sessions are in the kernel already.
      if sync.externalCache {
        before.append(
          .commit(groups: fresh, timeoutMilliseconds: sync.commitTimeoutMilliseconds))
      }
      // Active/active: the peer still forwards other RGs' sessions, which live in this node's
      // external cache; flushing it would lose them.
      let peerForwards = rethGroups.contains {
        !primary.contains($0) && state(of: $0, on: peerNode) == .primary
      }
      after.append(.resync(groups: fresh, flush: !peerForwards))
    }
    let others = rethGroups.filter { !primary.contains($0) }
    let role: SessionSyncRuntime.Role?
    if !primary.isEmpty {
      role = .primary
    } else if others.contains(where: { [.secondary, .secondaryHold].contains(groups.state($0)) }) {
      role = .backup
    } else if others.contains(where: { [.ineligible, .disabled].contains(groups.state($0)) }) {
      role = .fault
    } else {
      role = nil
    }
    if role != sessionSync.role {
      switch role {
      case .backup?:
        after.append(
          sync.externalCache ? .standBy(groups: others) : .requestResync(groups: others))
        sessionSync.resyncRequestedAt = now
        sessionSync.resyncBaseline = sessionSync.lastSample?.packetsReceived
        sessionSync.samplesSinceRequest = 0
      case .fault?:
        // Injected sessions are kept for when this node forwards again.
        if sync.externalCache { after.append(.fault(groups: others)) }
      case .primary?, nil:
        break
      }
    }
    sessionSync.role = role
    sessionSync.primaryGroups = primary
    return (before.map { .sessionSync($0) }, after.map { .sessionSync($0) })
  }

  // MARK: - Events from the shell

  /// The session-sync service polled conntrackd (`-s`): sync health, and whether the bulk
  /// sync a cold-syncing node asked for has arrived.
  public mutating func sessionSyncReported(_ report: SessionSyncReport, now: ClusterTime)
    -> [ClusterAction]
  {
    guard configuration.sessionSync != nil else { return [] }
    let health: SessionSyncHealth
    let detail: String
    switch report {
    case .unreachable(let why):
      health = .unreachable
      detail = why
      sessionSync.lastProgressAt = nil
    case .sample(let sample):
      let last = sessionSync.lastSample
      let expecting = peerStatus == .up && fabric.status == .up
      if !expecting || last == nil || sample.packetsReceived != last?.packetsReceived
        || sessionSync.lastProgressAt == nil
      {
        sessionSync.lastProgressAt = now
      }
      let lost = sample.lostMessages &- (last?.lostMessages ?? sample.lostMessages)
      let silentFor = sessionSync.lastProgressAt.map { now - $0 } ?? .zero
      if let last, sample.lostMessages > last.lostMessages {
        health = .losing
        detail = "\(lost) sync messages lost since the previous poll"
      } else if expecting && silentFor >= Self.sessionSyncStallAfter {
        health = .stalled
        detail = "no message from node\(peerNode)'s conntrackd for \(Self.secondsText(silentFor))"
      } else {
        health = .healthy
        detail = "conntrackd answers and node\(peerNode)'s messages arrive"
      }
      sessionSync.lastSample = sample
      detectBulkSync(sample, now: now)
    }
    if health != sessionSync.health {
      let from = sessionSync.health
      sessionSync.health = health
      sessionSync.healthDetail = detail
      viewGeneration &+= 1
      // The first healthy sample is no news.
      if !(from == .unknown && health == .healthy) {
        actions.append(.emit(.sessionSync(.healthChanged(from: from, to: health, detail: detail))))
      }
    }
    guard !actions.isEmpty else { return [] }
    return finish(now: now)
  }

  /// The primary's bulk sync counts as arrived when, after this node asked for it (`-n`),
  /// messages from the peer came in and the external cache stopped growing between two polls.
  private mutating func detectBulkSync(_ sample: ConntrackdStatistics, now: ClusterTime) {
    guard let since = sessionSync.coldSyncSince, sessionSync.resyncRequestedAt != nil,
      sessionSyncGroups.contains(where: coldSyncActive)
    else { return }
    guard let baseline = sessionSync.resyncBaseline else {
      sessionSync.resyncBaseline = sample.packetsReceived
      sessionSync.previousExternal = sample.externalProgress
      return
    }
    guard sample.packetsReceived > baseline else { return }
    sessionSync.samplesSinceRequest += 1
    defer { sessionSync.previousExternal = sample.externalProgress }
    guard sessionSync.samplesSinceRequest >= 2,
      sessionSync.previousExternal == sample.externalProgress
    else { return }
    endColdSync(
      .coldSyncCompleted(
        milliseconds: (now - since).millisecondsClamped, sessions: sample.externalCache.active))
  }

  /// The primary's sessions have arrived (the simulation says so; the daemon finds it from
  /// conntrackd's counters): `CS` clears.
  public mutating func bulkSyncCompleted(now: ClusterTime) -> [ClusterAction] {
    guard let since = sessionSync.coldSyncSince else { return [] }
    endColdSync(
      .coldSyncCompleted(
        milliseconds: (now - since).millisecondsClamped,
        sessions: sessionSync.lastSample?.externalCache.active ?? 0))
    return finish(now: now)
  }

  /// The shell carried out a commit: remembered for the statistics, logged (and trapped when
  /// it timed out).
  public mutating func sessionCommitted(_ commit: SessionCommit, now: ClusterTime)
    -> [ClusterAction]
  {
    sessionSync.lastCommit = commit
    sessionSync.commits &+= 1
    if commit.timedOut { sessionSync.commitTimeouts &+= 1 }
    viewGeneration &+= 1
    return [.emit(.sessionSync(.committed(commit)))]
  }

  var sessionSyncStatistics: SessionSyncStatistics? {
    guard let sync = configuration.sessionSync else { return nil }
    return SessionSyncStatistics(
      conntrackdConfig: sync.conntrackdConfig, health: sessionSync.health,
      healthDetail: sessionSync.healthDetail,
      coldSync: sessionSyncGroups.contains(where: coldSyncActive),
      externalCache: sync.externalCache,
      counters: sessionSync.lastSample, lastCommit: sessionSync.lastCommit,
      commits: sessionSync.commits, commitTimeouts: sessionSync.commitTimeouts)
  }
}

/// What conntrackd was last asked to do, cold sync and sync health.
struct SessionSyncRuntime: Sendable {
  enum Role: Sendable { case primary, backup, fault }

  /// RGs with reths whose commit was asked (this node is their primary).
  var primaryGroups: Set<Int> = []
  var role: Role?
  /// `CS` is pending since then.
  var coldSyncSince: ClusterTime?
  /// `CS` counted at some point of this cold sync (a primary was there to sync from).
  var coldSyncWaited = false
  /// When `-n` was last asked, the peer's message count then, and the polls since.
  var resyncRequestedAt: ClusterTime?
  var resyncBaseline: UInt64?
  var samplesSinceRequest = 0
  var previousExternal: UInt64?
  var lastSample: ConntrackdStatistics?
  /// When the peer's conntrackd was last heard (its message count rose).
  var lastProgressAt: ClusterTime?
  var health: SessionSyncHealth = .unknown
  var healthDetail: String?
  var lastCommit: SessionCommit?
  var commits: UInt64 = 0
  var commitTimeouts: UInt64 = 0
}
