/// The chassis-cluster state machine of one node (DESIGN §3): a value type that takes events with
/// the current time and returns actions. No I/O, no clock, no threads.
///
/// Every event method ends by re-evaluating all rules (`evaluate`), so the order in which facts
/// arrive never matters, and `nextDeadline` tells the shell when time alone can change something.
public struct ClusterStateMachine: Sendable {
  public private(set) var configuration: ClusterConfiguration {
    didSet {
      healthCache = nil
      rethPlans = configuration.rethPlans(on: localNode)
    }
  }
  /// Every reth this node runs (one with a redundancy group and a member here), derived from
  /// the configuration once: the evaluation reads it several times per RG.
  public private(set) var rethPlans: [RethPlan]
  public let localNode: Int
  public var peerNode: Int { 1 - localNode }
  /// The nonce this node's messages carry now (the peer must echo it).
  public var localNonce: UInt64 { challenge.nonce }
  public let bootEpoch: UInt64
  public private(set) var configDigest: UInt64

  var groups = GroupTable()
  var groupIDs: [Int] { groups.keys }
  var monitors = MonitorRuntime() {
    didSet { healthCache = nil }
  }
  /// Every RG's monitor health, computed by `finish` and dropped whenever an input of it
  /// changes (monitors, configuration): with 129 RGs, recomputing it for each candidate,
  /// announcement and failure code was most of the evaluation's time. Valid when not nil.
  var healthCache: [GroupHealth?]?
  var peer: PeerView?
  /// The boot epoch of the peer's agent as last heard (kept while the peer is lost).
  var peerEpoch: UInt64?
  var peerStatus: PeerStatus = .unknown
  var control = LinkTracker()
  var fabric = LinkTracker()
  /// The LAN heartbeat (DESIGN §12): proves the peer alive, decides nothing else.
  var lan = LinkTracker()
  /// The witness protocol's state (DESIGN §12); idle without a witness.
  var witness = WitnessRuntime()
  var announceWitnessNow = false
  var replay = ReplayGuard()
  /// Our nonce and the peer's, for the freshness rule (a peer is up only in a message that
  /// echoes our current nonce).
  var challenge: FreshnessChallenge
  var bootedAt: ClusterTime?
  var sequence: UInt64 = 0
  var nextHeartbeatAt: ClusterTime?
  var lastAnnounced: [GroupAnnouncement]?
  /// A peer appeared or restarted: tell it everything now rather than at the next interval.
  var announceNow = false
  var counterGeneration: UInt32 = 0
  /// Whether a peer's replicated generations were adopted since start (see
  /// `adoptReplicatedState`).
  var replicatedStateAdopted = false
  /// `shutdownRequested` was called: every RG given up, heartbeats say `leaving`, no election.
  public private(set) var leaving = false
  /// The peer's latest message said it is leaving (planned handoff).
  var peerLeaving = false
  var ineligibleSince: ClusterTime?
  /// Back from ineligible or disabled, this node's view of the peer predates its return: no
  /// election-driven take until a message answers the nonce renewed at the rejoin.
  var awaitingFreshPeerView = false
  var disabled = false
  var fabricFailure = false
  var configMismatch = false
  var splitBrainGroups: Set<Int> = []
  var splitBrainCount = 0
  var lastSplitBrainAt: ClusterTime?
  var actions: [ClusterAction] = []
  var dataPlane = DataPlaneRuntime()
  var sessionSync = SessionSyncRuntime()
  var lastEvaluatedAt: ClusterTime?
  /// Bumped whenever something a view shows changes, other than counters: the shell may
  /// publish snapshots lazily and still never show a stale role.
  public internal(set) var viewGeneration: UInt64 = 0
  /// When the peer's announced state of each RG last changed, as this node saw it.
  var peerStateChangedAt: [Int: ClusterTime] = [:]
  /// Transitions made so far: `finish` settles until an evaluation makes none.
  var transitionCount: UInt64 = 0

  /// `nonceSeed`: random per start in the agent; the simulation and tests leave it to the
  /// epoch, so that the same run always sends the same nonces.
  public init(
    configuration: ClusterConfiguration, localNode: Int, bootEpoch: UInt64, configDigest: UInt64,
    nonceSeed: UInt64? = nil
  ) {
    precondition(localNode == 0 || localNode == 1, "node id must be 0 or 1")
    self.configuration = configuration
    self.localNode = localNode
    self.rethPlans = configuration.rethPlans(on: localNode)
    self.bootEpoch = bootEpoch
    self.challenge = FreshnessChallenge(seed: nonceSeed ?? bootEpoch)
    self.configDigest = configDigest
    for (id, group) in configuration.redundancyGroups {
      groups[id] = GroupRuntime(configuration: group)
    }
  }

  // MARK: - Events

  /// The agent starts: every RG enters `hold` and the first heartbeat goes out at once.
  /// `interfaces` is the initial link state of every monitored interface the shell could read.
  public mutating func start(now: ClusterTime, interfaces: [String: LinkState] = [:])
    -> [ClusterAction]
  {
    bootedAt = now
    monitors.interfaces = interfaces
    nextHeartbeatAt = now
    refreshInterfaceMonitors(now: now, emitChanges: false)
    for id in groupIDs { groups[id]?.lastTransitionAt = now }
    beginColdSync(now: now)
    return finish(now: now)
  }

  /// Time passed: timers may have expired.
  public mutating func tick(now: ClusterTime) -> [ClusterAction] {
    finish(now: now)
  }

  /// A monitored interface changed (from rtnetlink, or the simulation).
  public mutating func interfaceChanged(_ name: String, state: LinkState, now: ClusterTime)
    -> [ClusterAction]
  {
    monitors.interfaces[name] = state
    refreshInterfaceMonitors(now: now, emitChanges: true)
    return finish(now: now)
  }

  /// The result of one ICMP echo to an ip-monitoring address (one per `retry-interval`).
  public mutating func pingResult(address: String, replied: Bool, now: ClusterTime)
    -> [ClusterAction]
  {
    pingResults([PingResult(address: address, replied: replied)], now: now)
  }

  /// Results that arrived together (one wake-up of the agent's ping thread), evaluated once:
  /// 32 addresses pinged each second cost 32 evaluations of every RG, one at a time.
  public mutating func pingResults(_ results: [PingResult], now: ClusterTime) -> [ClusterAction] {
    for result in results { recordPing(address: result.address, replied: result.replied, now: now) }
    return finish(now: now)
  }

  private mutating func recordPing(address: String, replied: Bool, now: ClusterTime) {
    for key in ipMonitorKeys(address: address) {
      guard var entry = monitors.ip[key], let group = groups[key.group],
        let ip = group.configuration.ipMonitoring
      else { continue }
      let wasReachable = entry.reachable
      if replied {
        entry.consecutiveFailures = 0
        entry.reachable = true
      } else {
        entry.consecutiveFailures += 1
        if entry.consecutiveFailures >= ip.retryCount { entry.reachable = false }
      }
      if entry.reachable != wasReachable { entry.lastChangeAt = now }
      monitors.ip[key] = entry
      if entry.reachable != wasReachable {
        let health = self.health(of: key.group)
        actions.append(
          .emit(
            .ipMonitorChanged(
              IPMonitorChange(
                group: key.group, index: key.index, address: address, reachable: entry.reachable,
                monitorWeight: ip.addresses[key.index - 1].weight, groupWeight: health.weight,
                remainingThreshold: health.ipRemainingThreshold))))
      }
    }
  }

  /// A heartbeat or probe arrived, already decoded and authenticated by the codec.
  /// `source` is the sender's address as the shell saw it, for the rejection records.
  public mutating func messageReceived(
    _ message: HeartbeatMessage, source: String = "unknown", now: ClusterTime
  ) -> [ClusterAction] {
    guard receive(message, source: source, now: now) else {
      // Rejected (replayed, wrong node) or not yet fresh with nothing to answer: counted,
      // reported, and nothing evaluated, so a flood of such messages costs no evaluation.
      defer { actions.removeAll(keepingCapacity: true) }
      return actions
    }
    return finish(now: now)
  }

  /// A datagram on a heartbeat port failed to decode or authenticate, or came from an address
  /// that is not the peer's: counted and reported, without an evaluation (nothing changed).
  public mutating func datagramRejected(
    link: HeartbeatMessage.Link, source: String, reason: String, now: ClusterTime
  ) -> [ClusterAction] {
    countError(link)
    return [.emit(.datagramRejected(link: link, source: source, reason: reason))]
  }

  /// The agent is stopping (SIGTERM): give up primacy of every RG ("agent stopping") and tell
  /// the peer at once on both links, with the `leaving` flag, so it takes over without waiting
  /// for a timeout (planned handoff, DESIGN §4). From then on this node takes no RG, whatever
  /// happens; the shell keeps executing actions (heartbeats) until it stops.
  public mutating func shutdownRequested(now: ClusterTime) -> [ClusterAction] {
    guard !leaving else { return finish(now: now) }
    leaving = true
    for id in groupIDs {
      guard let state = groups.state(id), state != .secondary else { continue }
      if state == .primary { groups[id]?.lastFailoverAt = now }
      transition(id, to: .secondary, reason: "agent stopping", now: now)
    }
    announceNow = true
    viewGeneration &+= 1
    return finish(now: now)
  }

  /// `request failover redundancy-group N node M`.
  public mutating func requestManualFailover(
    group id: Int, node: Int, requestedBy: Int? = nil, now: ClusterTime
  ) -> Result<[ClusterAction], RequestRefusal> {
    guard var group = groups[id] else {
      return .failure(RequestRefusal("redundancy-group \(id) is not configured"))
    }
    guard node == 0 || node == 1 else {
      return .failure(RequestRefusal("node \(node) does not exist (0 or 1)"))
    }
    if state(of: id, on: node) == .primary {
      return .failure(
        RequestRefusal("node\(node) is already primary for redundancy-group \(id)"))
    }
    if node == peerNode && peerStatus != .up {
      return .failure(RequestRefusal("node\(node) is not reachable (peer \(peerStatus.rawValue))"))
    }
    let candidate = self.candidate(node: node, group: id)
    guard candidate.available, candidate.healthy else {
      let codes =
        node == localNode ? failureCodes(of: id) : peer?.groups[id]?.failureCodes ?? []
      let why =
        !candidate.available
        ? "it is \(state(of: id, on: node))"
        : codes.contains(.coldSync)
          ? "cold sync in progress" : "its weight is \(weight(of: id, on: node))"
      return .failure(
        RequestRefusal("node\(node) is not eligible for redundancy-group \(id): \(why)"))
    }
    if let remaining = holdDownRemaining(group, now: now) {
      return .failure(
        RequestRefusal(
          "redundancy-group \(id) hold-down interval has not expired: "
            + "\(Self.secondsText(remaining)) remaining"))
    }
    group.manual = ManualFailover(
      target: node, generation: group.manual.generation &+ 1, author: localNode)
    groups[id] = group
    actions.append(.emit(.manualFailoverRequested(group: id, node: node, requestedBy: requestedBy)))
    return .success(finish(now: now))
  }

  /// `request failover reset redundancy-group N`: clears manual failover and a stopped preempt.
  public mutating func resetManualFailover(group id: Int, requestedBy: Int? = nil, now: ClusterTime)
    -> Result<[ClusterAction], RequestRefusal>
  {
    guard var group = groups[id] else {
      return .failure(RequestRefusal("redundancy-group \(id) is not configured"))
    }
    // A stopped preempt may live on either node, so a reset is accepted wherever preempt is on.
    guard group.manual.target != nil || group.configuration.preempt != nil else {
      return .failure(RequestRefusal("redundancy-group \(id) is not in manual failover"))
    }
    group.preemptSuspended = false
    group.preemptHistory.removeAll()
    group.preemptGeneration &+= 1
    if group.manual.target != nil {
      group.manual = ManualFailover(
        target: nil, generation: group.manual.generation &+ 1, author: localNode)
    }
    groups[id] = group
    actions.append(
      .emit(.manualFailoverReset(group: id, requestedBy: requestedBy, reason: "operator request")))
    return .success(finish(now: now))
  }

  /// `clear failover-count`: on both nodes, through the counter generation in heartbeats.
  public mutating func clearFailoverCount(requestedBy: Int? = nil, now: ClusterTime)
    -> [ClusterAction]
  {
    counterGeneration &+= 1
    for id in groupIDs { groups[id]?.failoverCount = 0 }
    actions.append(.emit(.failoverCountCleared(requestedBy: requestedBy)))
    return finish(now: now)
  }

  /// A reloaded configuration (SIGHUP). Roles, counts, manual failover and history of RGs that
  /// still exist carry over, so a reload never causes a failover by itself; new RGs start in
  /// `hold` and are elected at once; removed RGs disappear.
  public mutating func reconfigure(
    _ newConfiguration: ClusterConfiguration, digest: UInt64, now: ClusterTime
  ) -> [ClusterAction] {
    var carried = GroupTable()
    for (id, group) in newConfiguration.redundancyGroups {
      var runtime = GroupRuntime(configuration: group)
      if let old = groups[id] {
        runtime.state = old.state
        runtime.failoverCount = old.failoverCount
        runtime.lastFailoverAt = old.lastFailoverAt
        runtime.lastFailoverReason = old.lastFailoverReason
        runtime.lastTransitionAt = old.lastTransitionAt
        runtime.secondaryHoldUntil = old.secondaryHoldUntil
        runtime.manual = old.manual
        runtime.preemptHistory = old.preemptHistory
        runtime.preemptSuspended = old.preemptSuspended
        runtime.preemptGeneration = old.preemptGeneration
        runtime.history = old.history
      } else {
        runtime.lastTransitionAt = now
      }
      carried[id] = runtime
    }
    configuration = newConfiguration
    configDigest = digest
    groups = carried
    healthCache = nil
    monitors.interfaceStatus = monitors.interfaceStatus.filter { carried[$0.key.group] != nil }
    monitors.ip = [:]
    if let peer {
      let mismatch = peer.configDigest != digest
      if mismatch != configMismatch {
        configMismatch = mismatch
        actions.append(
          .emit(
            mismatch
              ? .configMismatch(localDigest: digest, peerDigest: peer.configDigest) : .configMatch))
      }
    }
    refreshInterfaceMonitors(now: now, emitChanges: true)
    announceNow = true
    return finish(now: now)
  }

  static func secondsText(_ duration: Duration) -> String {
    let ms = duration.millisecondsClamped
    return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms / 1000).\(String(format3(ms % 1000))) s"
  }

  private static func format3(_ value: Int64) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, 3 - text.count)) + text
  }
}
