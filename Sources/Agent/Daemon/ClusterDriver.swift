import Cluster
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the core state machine for the daemon: the single place where inputs (datagrams, link
/// changes, pings, operator requests, time) meet the machine, and where its actions are carried
/// out in order. Being an actor serialises inputs; nothing here blocks: the data-plane and
/// session-sync actions go to the action pipeline, except the fast half of a deactivation,
/// which must precede the batch's heartbeat.
actor ClusterDriver {
  private var machine: ClusterStateMachine
  private var loaded: LoadedConfiguration
  private var codec: HeartbeatCodec
  private var witnessCodec: WitnessCodec
  private var witnessClient: WitnessClient?
  private let clock = ContinuousClock()
  private let startedAt: ContinuousClock.Instant
  private let startedAtWallClock: Int64
  private let store: SnapshotStore
  private let events: EventDispatcher
  private var transport: HeartbeatTransport?
  private var screen: DatagramScreen?
  private var dataPlane: (any DataPlaneExecutor)?
  private var pipeline: ActionPipeline?
  private var sleeper: Task<Void, Never>?
  private var sleeperDeadline: ClusterTime?
  private let logger: Logger

  init(
    loaded: LoadedConfiguration, bootEpoch: UInt64, store: SnapshotStore,
    events: EventDispatcher, logger: Logger
  ) {
    self.loaded = loaded
    self.machine = ClusterStateMachine(
      configuration: loaded.configuration, localNode: loaded.localNode, bootEpoch: bootEpoch,
      configDigest: loaded.digest, nonceSeed: UInt64.random(in: .min ... .max))
    self.codec = HeartbeatCodec(key: loaded.key, previousKey: loaded.previousKey)
    self.witnessCodec = WitnessCodec(key: loaded.key)
    self.startedAt = clock.now
    self.startedAtWallClock = WallClock.nowMilliseconds()
    self.store = store
    self.events = events
    self.logger = logger
  }

  var now: ClusterTime {
    ClusterTime(nanoseconds: (clock.now - startedAt).nanosecondsClamped)
  }

  var configuration: LoadedConfiguration { loaded }
  var pingTargets: [PingTarget] { machine.pingTargets }
  var watchedInterfaces: [String] { machine.watchedInterfaces }

  func attach(_ transport: HeartbeatTransport, screen: DatagramScreen) {
    self.transport = transport
    self.screen = screen
  }

  /// The receive path's screen for this configuration (the replay floor starts empty).
  static func screen(for loaded: LoadedConfiguration) -> HeartbeatScreen {
    HeartbeatScreen(
      codec: HeartbeatCodec(key: loaded.key, previousKey: loaded.previousKey),
      clusterID: UInt8(clamping: loaded.configuration.clusterID),
      sources: PeerSources(configuration: loaded.configuration, localNode: loaded.localNode))
  }

  /// `pipeline` carries out the data-plane and session-sync actions (`ActionPipeline`).
  func attach(dataPlane: any DataPlaneExecutor, pipeline: ActionPipeline) {
    self.dataPlane = dataPlane
    self.pipeline = pipeline
  }

  func attach(witness client: WitnessClient) {
    self.witnessClient = client
  }

  // MARK: - Inputs

  func start(interfaces: [String: LinkState]) {
    apply(machine.start(now: now, interfaces: interfaces))
  }

  /// A heartbeat the receive path accepted (`DatagramScreen`); the replay floor follows.
  func message(_ message: HeartbeatMessage, source: String) {
    apply(machine.messageReceived(message, source: source, now: now))
    screen?.update(replayFloor: machine.replayFloor)
  }

  /// What the receive path refused since the last call: counted in one go.
  func rejections() {
    guard let screen else { return }
    apply(machine.datagramsRejected(screen.takeRejections(), now: now))
  }

  /// An answer on the witness socket: only the witness's own address and port count.
  func witnessDatagram(_ bytes: [UInt8], source: String, fromWitness: Bool) {
    let time = now
    guard fromWitness else {
      apply(machine.witnessDatagramRejected(reason: "datagram from \(source)", now: time))
      return
    }
    do {
      let reply = try witnessCodec.decodeReply(
        bytes, expectedClusterID: UInt8(clamping: loaded.configuration.clusterID))
      apply(machine.witnessReplyReceived(reply, now: time))
    } catch {
      apply(machine.witnessDatagramRejected(reason: error.description, now: time))
    }
  }

  func interfaceChanged(_ name: String, state: LinkState) {
    apply(machine.interfaceChanged(name, state: state, now: now))
  }

  func pingResults(_ results: [PingResult]) {
    apply(machine.pingResults(results, now: now))
  }

  func sessionSyncReported(_ report: SessionSyncReport) {
    apply(machine.sessionSyncReported(report, now: now))
  }

  func sessionCommitted(_ commit: SessionCommit) {
    apply(machine.sessionCommitted(commit, now: now))
  }

  func rethRestored(_ reth: String, link: Bool, addresses: [Int], restores: Int) {
    apply(
      machine.rethRestored(reth, link: link, addresses: addresses, restores: restores, now: now))
  }

  func request(_ request: ControlRequest, uid: UInt32) -> ControlResponse {
    let time = now
    let result: Result<[ClusterAction], RequestRefusal>
    switch request.command {
    case .failover:
      guard let group = request.group, let node = request.node else {
        return ControlResponse(ok: false, error: "failover needs a redundancy-group and a node")
      }
      result = machine.requestManualFailover(
        group: group, node: node, requestedBy: Int(uid), now: time)
    case .failoverReset:
      guard let group = request.group else {
        return ControlResponse(ok: false, error: "failover reset needs a redundancy-group")
      }
      result = machine.resetManualFailover(group: group, requestedBy: Int(uid), now: time)
    case .clearFailoverCount:
      result = .success(machine.clearFailoverCount(requestedBy: Int(uid), now: time))
    case .show:
      return ControlResponse(ok: false, error: "show is answered from the snapshot")
    }
    switch result {
    case .success(let actions):
      apply(actions)
      return ControlResponse(ok: true, message: "done")
    case .failure(let refusal):
      return ControlResponse(ok: false, error: refusal.message)
    }
  }

  /// SIGHUP: adopt a new configuration, keeping roles (see `ClusterStateMachine.reconfigure`).
  func reload(_ new: LoadedConfiguration) {
    loaded = new
    codec = HeartbeatCodec(key: new.key, previousKey: new.previousKey)
    witnessCodec = WitnessCodec(key: new.key)
    apply(machine.reconfigure(new.configuration, digest: new.digest, now: now))
    let fresh = Self.screen(for: new)
    screen?.update(codec: fresh.codec, clusterID: fresh.clusterID, sources: fresh.sources)
  }

  func tick() {
    sleeper = nil
    sleeperDeadline = nil
    apply(machine.tick(now: now))
  }

  // MARK: - Actions

  private func apply(_ actions: [ClusterAction]) {
    // What the peer and the LAN wait for first, in the core's order: withdrawn reths are
    // silent before the heartbeat says so. The events (records, hooks, traps: all queued)
    // after, so building their snapshot never delays a heartbeat, except once per role
    // change: the view is published before the peer hears of it, so no `show` of this node
    // can still say "primary" once the peer has taken over on its word (the soak sampled that
    // under load: a dual primary that was only a view several ms late).
    var batchSnapshot: ClusterSnapshot?
    var roleViewPublished = false
    for action in actions {
      switch action {
      case .sendHeartbeat(let message):
        guard let transport else { continue }
        if !roleViewPublished, machine.viewGeneration != publishedGeneration,
          actions.contains(where: \.isRoleChange)
        {
          roleViewPublished = true
          let snapshot = machine.snapshot(now: now)
          batchSnapshot = snapshot
          publish(snapshot)
        }
        // The same content on every link, each copy saying which link it was sent on.
        for link in transport.links {
          var copy = message
          copy.link = link
          transport.send(codec.encode(copy), on: link)
        }
      case .sendWitnessRequest(let request):
        witnessClient?.send(witnessCodec.encode(request))
      case .dataPlane(let action):
        execute(action)
      case .sessionSync(let action):
        pipeline?.submit(.sessionSync(action))
      case .emit:
        continue
      }
    }
    if actions.contains(where: \.isActivation) { pipeline?.submit(.takeTraffic) }
    if actions.contains(where: \.isWithdrawal) { dataPlane?.withdrawalsAnnounced() }
    // One snapshot per batch, shared by every event of the batch and the publish below.
    for case .emit(let event) in actions {
      guard !event.isRejection else {
        // No trap or hook follows a rejection: its record needs no snapshot (one per forged
        // datagram was most of a flood's cost).
        events.record(event)
        continue
      }
      let snapshot = batchSnapshot ?? machine.snapshot(now: now)
      batchSnapshot = snapshot
      events.dispatch(event, snapshot: snapshot)
    }
    // Counters change with every datagram; rebuilding the snapshot for each one costs more
    // than it tells (with 129 RGs it was a tenth of the idle CPU at 100 ms heartbeats). Events
    // and any change of a role or of what the peer announces publish at once; counters alone
    // at most every 250 ms (with the next input).
    if !roleViewPublished,
      batchSnapshot != nil || machine.viewGeneration != publishedGeneration
        || clock.now - lastPublished >= .milliseconds(250)
    {
      publish(batchSnapshot)
    }
    rearm()
  }

  /// A deactivation's fast half here (before the heartbeat), the start-up reset here too (a
  /// crashed agent's reth is cleaned before this node says anything), the rest queued behind
  /// the batch's commit.
  private func execute(_ action: DataPlaneAction) {
    guard let dataPlane else { return }
    switch action {
    case .deactivate(let plan):
      dataPlane.withdraw(plan)
    case .reset:
      dataPlane.execute(action, ticket: 0)
    case .activate(let plan), .announce(let plan), .remove(let plan):
      pipeline?.submit(.dataPlane(action, ticket: dataPlane.ticket(for: plan.name)))
    }
  }

  private var lastPublished = ContinuousClock.Instant.now - .seconds(1)

  private var publishedGeneration: UInt64 = .max

  private func publish(_ snapshot: ClusterSnapshot? = nil) {
    lastPublished = clock.now
    publishedGeneration = machine.viewGeneration
    store.publish(
      SnapshotStore.Published(
        snapshot: snapshot ?? machine.snapshot(now: now), configuration: loaded.configuration,
        startedAt: startedAt, startedAtWallClock: startedAtWallClock))
  }

  /// Keeps exactly one sleeping task, woken at the machine's next deadline.
  private func rearm() {
    guard let deadline = machine.nextDeadline else { return }
    if let current = sleeperDeadline, current <= deadline, sleeper != nil { return }
    sleeper?.cancel()
    sleeperDeadline = deadline
    let wait = deadline - now
    sleeper = Task { [weak self] in
      if wait > .zero {
        do { try await Task.sleep(for: wait, tolerance: .microseconds(100)) } catch { return }
      }
      await self?.tick()
    }
  }

  /// A graceful stop: every RG given up, the reths down, and a heartbeat that says this node
  /// is leaving, so the peer takes over at once instead of after its timeout.
  func leave() {
    apply(machine.shutdownRequested(now: now))
  }

  func shutdown() {
    sleeper?.cancel()
    sleeper = nil
  }
}

enum WallClock {
  static func nowMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }
}

extension ClusterAction {
  /// A redundancy group changed state on this node.
  fileprivate var isRoleChange: Bool {
    if case .emit(.groupStateChanged) = self { return true }
    return false
  }

  /// A reth is withdrawn on this node.
  fileprivate var isWithdrawal: Bool {
    if case .dataPlane(.deactivate) = self { return true }
    return false
  }

  /// A reth comes up on this node.
  fileprivate var isActivation: Bool {
    if case .dataPlane(.activate) = self { return true }
    return false
  }
}
