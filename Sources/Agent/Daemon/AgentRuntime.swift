import CLinux
import Cluster
import Journal
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// Everything a running agent owns, wired together: the driver, its input stream, sockets,
/// monitors, hooks and the control socket. It opens them; the services run and stop them.
final class AgentRuntime: Sendable {
  let driver: ClusterDriver
  let inputs: DriverInputs
  let store: SnapshotStore
  let events: EventDispatcher
  /// Heartbeats have an event loop of their own: rendering a large `show` for a slow client
  /// on the control socket's loop never delays a heartbeat.
  let heartbeatLoop: MultiThreadedEventLoopGroup
  let controlLoop: MultiThreadedEventLoopGroup
  let transport: HeartbeatTransport
  let control: ControlSocketServer
  let interfaces: InterfaceMonitorThread
  let pings: IPMonitorThread
  let mib: ClusterMIBService
  let dataPlane: RethDataPlane
  let pipeline: ActionPipeline
  let witness: WitnessClient?
  let sessionSync: SessionSyncController?
  let logger: Logger

  /// `epoch`: this start's boot epoch, already persisted (`EpochStore`).
  static func assemble(loaded: LoadedConfiguration, epoch: UInt64, logger: Logger) async throws
    -> AgentRuntime
  {
    let store = SnapshotStore()
    let mib = ClusterMIBService(
      socket: loaded.configuration.agentXSocket, store: store, logger: logger)
    let events = try EventDispatcher(logger: logger, context: EventContext(loaded), traps: mib)
    events.configure(
      context: EventContext(loaded), notifyScript: loaded.configuration.notifyScript,
      notifyTimeout: .seconds(loaded.configuration.notifyTimeoutSeconds))
    let driver = ClusterDriver(
      loaded: loaded, bootEpoch: epoch, store: store, events: events, logger: logger)
    let inputs = DriverInputs()
    // One thread each: the agent's socket traffic is a few datagrams per interval.
    let heartbeatLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let controlLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let screen = DatagramScreen(ClusterDriver.screen(for: loaded), inputs: inputs)
    let transport = try await HeartbeatTransport.open(
      configuration: loaded.configuration, localNode: loaded.localNode, group: heartbeatLoop,
      screen: screen)
    await driver.attach(transport, screen: screen)
    // Attached before the start: the first batch resets every reth (a crashed agent's
    // leftovers must not make a second owner on the LAN) and may already ask for a resync.
    let dataPlane = try RethDataPlane(
      logger: logger, inputs: inputs, store: store,
      sysctlRecord: RethSysctls.recordPath(controlSocket: loaded.configuration.controlSocketPath))
    let sessionSync = try loaded.configuration.sessionSync.map {
      try SessionSyncController(configuration: $0, logger: logger)
    }
    let pipeline = try ActionPipeline(
      dataPlane: dataPlane, sessionSync: sessionSync, logger: logger
    ) { commit in inputs.yield(.sessionCommitted(commit)) }
    await driver.attach(dataPlane: dataPlane, pipeline: pipeline)
    let witness = try loaded.configuration.witness.map { try WitnessClient(endpoint: $0) }
    if let witness { await driver.attach(witness: witness) }
    let interfaces = try InterfaceMonitorThread(watched: await driver.watchedInterfaces)
    let initial = try interfaces.initialState()
    for (name, state) in initial.sorted(by: { $0.key < $1.key }) where state == .absent {
      logger.warning(
        "monitored interface does not exist on this host; it counts as down",
        metadata: ["INTERFACE": "\(name)"])
    }
    events.log(EventCatalog.agentStarted(version: ccagentVersion, context: EventContext(loaded)))
    events.log(EventCatalog.configLoaded(path: loaded.path, context: EventContext(loaded)))
    await driver.start(interfaces: initial)
    let pings = try IPMonitorThread(targets: await driver.pingTargets)
    let control = try await ControlSocketServer.open(
      path: loaded.configuration.controlSocketPath, adminGroup: loaded.configuration.adminGroup,
      group: controlLoop, driver: driver, store: store)
    return AgentRuntime(
      driver: driver, inputs: inputs, store: store, events: events, heartbeatLoop: heartbeatLoop,
      controlLoop: controlLoop, transport: transport, control: control, interfaces: interfaces,
      pings: pings, mib: mib, dataPlane: dataPlane, pipeline: pipeline, witness: witness,
      sessionSync: sessionSync, logger: logger)
  }

  private init(
    driver: ClusterDriver, inputs: DriverInputs, store: SnapshotStore, events: EventDispatcher,
    heartbeatLoop: MultiThreadedEventLoopGroup, controlLoop: MultiThreadedEventLoopGroup,
    transport: HeartbeatTransport, control: ControlSocketServer,
    interfaces: InterfaceMonitorThread, pings: IPMonitorThread, mib: ClusterMIBService,
    dataPlane: RethDataPlane, pipeline: ActionPipeline, witness: WitnessClient?,
    sessionSync: SessionSyncController?, logger: Logger
  ) {
    self.dataPlane = dataPlane
    self.pipeline = pipeline
    self.witness = witness
    self.sessionSync = sessionSync
    self.mib = mib
    self.driver = driver
    self.inputs = inputs
    self.store = store
    self.events = events
    self.heartbeatLoop = heartbeatLoop
    self.controlLoop = controlLoop
    self.transport = transport
    self.control = control
    self.interfaces = interfaces
    self.pings = pings
    self.logger = logger
  }

  /// The agent's services in dependency order: the group starts them together and stops them
  /// in reverse, so the announcement of the stop comes first and SNMP goes last.
  func services(reload: ReloadService) -> [ServiceGroupConfiguration.ServiceConfiguration] {
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
      .init(service: SNMPService(mib: mib)),
      .init(service: DataPlaneService(dataPlane: dataPlane)),
    ]
    if let sessionSync {
      services.append(.init(service: SessionSyncService(controller: sessionSync, inputs: inputs)))
    }
    // Stops after the heartbeats (the stop's own actions are queued by then), before the
    // session-sync and data-plane services it hands work to.
    services.append(.init(service: ActionPipelineService(pipeline: pipeline)))
    // The witness client stops after the heartbeats, so the last request says "primary of
    // nothing" when the agent gives its RGs up on the way out.
    if let witness {
      services.append(
        .init(service: WitnessClientService(client: witness, inputs: inputs, logger: logger)))
    }
    return services + [
      .init(service: HeartbeatService(driver: driver, inputs: inputs, transport: transport)),
      .init(service: MonitorService(monitor: interfaces, inputs: inputs, logger: logger)),
      .init(service: MonitorService(monitor: pings, inputs: inputs, logger: logger)),
      .init(service: ControlSocketService(server: control)),
      .init(service: MetricsService(driver: driver, store: store, logger: logger)),
      .init(service: reload),
      .init(service: WatchdogService(driver: driver)),
      .init(service: StopAnnouncementService(runtime: self)),
    ]
  }

  /// SIGHUP with a valid file: new monitors, hooks and timers, same roles. Settings that only
  /// a restart can apply keep their running values, and the record says which they are.
  func reload(_ reloaded: LoadedConfiguration, replacing running: LoadedConfiguration) async throws
  {
    if let script = reloaded.configuration.notifyScript {
      try ScriptSecurity.check(script: script)
    }
    let differences = ReloadDifferences(
      running: running.configuration, reloaded: reloaded.configuration,
      keyChanged: reloaded.key != running.key, localNode: running.localNode)
    var new = reloaded
    new.configuration = ReloadDifferences.applicable(
      running: running.configuration, reloaded: reloaded.configuration)
    await driver.reload(new)
    events.configure(
      context: EventContext(new), notifyScript: new.configuration.notifyScript,
      notifyTimeout: .seconds(new.configuration.notifyTimeoutSeconds))
    control.update(adminGroup: new.configuration.adminGroup)
    interfaces.watch(await driver.watchedInterfaces)
    pings.update(targets: await driver.pingTargets)
    events.log(EventCatalog.configLoaded(path: new.path, context: EventContext(new)))
    if !differences.needRestart.isEmpty {
      let settings = differences.needRestart.joined(separator: ", ")
      logger.warning(
        "reload: these settings changed but take effect only after a restart: \(settings)",
        metadata: ["RESTART_SETTINGS": "\(differences.needRestart.joined(separator: ","))"])
    }
    for warning in differences.warnings {
      logger.warning("reload: \(warning)")
    }
    for change in differences.reths {
      logger.notice(
        "reload: \(change)", metadata: ["RETH": "\(change.prefix { $0 != " " })"])
    }
    for warning in new.notices where warning.severity == .warning {
      logger.warning("\(warning)")
    }
    Self.returnFreedMemory(after: .seconds(2))
  }

  /// Start-up and reloads parse, build and discard a lot; glibc keeps the freed pages of its
  /// per-thread arenas resident until told otherwise (≈ 0.8 MB with the large configuration).
  static func returnFreedMemory(after delay: Duration) {
    Task.detached(priority: .background) {
      try? await Task.sleep(for: delay)
      _ = malloc_trim(0)
    }
  }

  /// After the services have stopped: the queued records and hook runs, then the loops.
  func finish() async {
    events.stop()
    try? await heartbeatLoop.shutdownGracefully()
    try? await controlLoop.shutdownGracefully()
  }
}

/// The release this binary belongs to (packaging/VERSION).
let ccagentVersion = "0.1.0"
