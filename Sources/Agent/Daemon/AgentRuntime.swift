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
/// monitors, hooks and the control socket.
final class AgentRuntime: Sendable {
  let driver: ClusterDriver
  let inputs: DriverInputs
  let store: SnapshotStore
  let events: EventDispatcher
  let eventLoops: MultiThreadedEventLoopGroup
  let transport: HeartbeatTransport
  let control: ControlSocketServer
  let interfaces: InterfaceMonitorThread
  let pings: IPMonitorThread
  let mib: ClusterMIBService
  let logger: Logger

  var inputService: InputService { InputService(driver: driver, inputs: inputs) }

  static func start(loaded: LoadedConfiguration, logger: Logger) async throws -> AgentRuntime {
    let store = SnapshotStore()
    let events = EventDispatcher(logger: logger, context: EventContext(loaded))
    events.configure(context: EventContext(loaded), hooks: makeHooks(loaded, logger: logger))
    // Epochs increase across restarts (wall-clock milliseconds, random low bits), so the peer
    // refuses recordings of an earlier boot (see ReplayGuard).
    let epoch = UInt64(clamping: WallClock.nowMilliseconds()) << 16 | UInt64.random(in: 0...0xFFFF)
    let mib = ClusterMIBService(
      socket: loaded.configuration.agentXSocket, store: store, logger: logger)
    events.onTrap { event, snapshot in mib.notify(event, snapshot: snapshot) }
    let driver = ClusterDriver(
      loaded: loaded, bootEpoch: epoch, store: store, events: events, logger: logger)
    let inputs = DriverInputs()
    // One event-loop thread: the agent's socket traffic is a few datagrams per interval.
    let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let transport = try await HeartbeatTransport.open(
      configuration: loaded.configuration, localNode: loaded.localNode, group: eventLoops,
      inputs: inputs)
    await driver.attach(transport)
    let interfaces = try InterfaceMonitorThread(watched: await driver.watchedInterfaces)
    let initial = try interfaces.initialState()
    for (name, state) in initial.sorted(by: { $0.key < $1.key }) where state == .absent {
      logger.warning(
        "monitored interface does not exist on this host; it counts as down",
        metadata: ["INTERFACE": "\(name)"])
    }
    interfaces.start(inputs: inputs, logger: logger)
    EventCatalog.log(
      EventCatalog.agentStarted(version: ccagentVersion, context: EventContext(loaded)), to: logger)
    EventCatalog.log(
      EventCatalog.configLoaded(path: loaded.path, context: EventContext(loaded)), to: logger)
    await driver.start(interfaces: initial)
    // The subagent attaches whenever snmpd is (or becomes) reachable; it never blocks us.
    mib.start()
    let pings = try IPMonitorThread(targets: await driver.pingTargets)
    pings.start(inputs: inputs, logger: logger)
    let control = try await ControlSocketServer.open(
      path: loaded.configuration.controlSocketPath, adminGroup: loaded.configuration.adminGroup,
      group: eventLoops, driver: driver, store: store)
    return AgentRuntime(
      driver: driver, inputs: inputs, store: store, events: events, eventLoops: eventLoops,
      transport: transport, control: control, interfaces: interfaces, pings: pings, mib: mib,
      logger: logger)
  }

  private init(
    driver: ClusterDriver, inputs: DriverInputs, store: SnapshotStore, events: EventDispatcher,
    eventLoops: MultiThreadedEventLoopGroup, transport: HeartbeatTransport,
    control: ControlSocketServer, interfaces: InterfaceMonitorThread, pings: IPMonitorThread,
    mib: ClusterMIBService, logger: Logger
  ) {
    self.mib = mib
    self.driver = driver
    self.inputs = inputs
    self.store = store
    self.events = events
    self.eventLoops = eventLoops
    self.transport = transport
    self.control = control
    self.interfaces = interfaces
    self.pings = pings
    self.logger = logger
  }

  static func makeHooks(_ loaded: LoadedConfiguration, logger: Logger) -> NotifyHookRunner? {
    loaded.configuration.notifyScript.map {
      NotifyHookRunner(
        script: $0, timeout: .seconds(loaded.configuration.notifyTimeoutSeconds), logger: logger)
    }
  }

  /// SIGHUP with a valid file: new monitors, hooks and timers, same roles.
  func reload(_ loaded: LoadedConfiguration) async {
    await driver.reload(loaded)
    events.configure(context: EventContext(loaded), hooks: Self.makeHooks(loaded, logger: logger))
    interfaces.watch(await driver.watchedInterfaces)
    pings.update(targets: await driver.pingTargets)
    if let initial = try? interfaces.initialState() {
      for (name, state) in initial { inputs.yield(.interface(name, state)) }
    }
    EventCatalog.log(
      EventCatalog.configLoaded(path: loaded.path, context: EventContext(loaded)), to: logger)
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

  func stop() async {
    EventCatalog.log(EventCatalog.agentStopping(context: events.currentContext), to: logger)
    inputs.continuation.finish()
    interfaces.stop()
    pings.stop()
    mib.stop()
    await driver.shutdown()
    await control.close()
    await transport.close()
    try? await eventLoops.shutdownGracefully()
  }
}

/// The release this binary belongs to (packaging/VERSION).
let ccagentVersion = "0.1.0"

/// Feeds the driver from the input stream until shutdown.
struct InputService: Service {
  let driver: ClusterDriver
  let inputs: DriverInputs

  func run() async throws {
    await withGracefulShutdownHandler {
      for await input in inputs.stream {
        switch input {
        case .datagram(let bytes, let link, let source):
          await driver.datagram(bytes, link: link, source: source)
        case .interface(let name, let state):
          await driver.interfaceChanged(name, state: state)
        case .pings(let results):
          await driver.pingResults(results)
        }
      }
    } onGracefulShutdown: {
      inputs.continuation.finish()
    }
  }
}

/// SIGHUP: reload the configuration; a bad file is reported and the running one kept.
struct ReloadService: Service {
  let runtime: AgentRuntime
  let path: String
  let node: Int?
  let controlSocket: String?
  let agentXSocket: String?
  let logger: Logger

  func run() async throws {
    for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
      let current = await runtime.driver.configuration
      do {
        let new = try ConfigurationLoader.load(
          path: path, node: node ?? current.localNode, controlSocket: controlSocket,
          agentXSocket: agentXSocket)
        guard new.localNode == current.localNode else {
          throw ConfigurationLoadError(lines: ["\(path): the node id cannot change on reload"])
        }
        await runtime.reload(new)
      } catch {
        EventCatalog.log(
          EventCatalog.configReloadFailed(
            path: path, error: "\(error)", context: EventContext(current)),
          to: logger)
      }
    }
  }
}

/// Feeds systemd's watchdog from the driver's own executor, so a wedged driver stops the
/// pings; the SNMP thread is never involved.
struct WatchdogService: Service {
  let driver: ClusterDriver

  func run() async throws {
    guard let interval = SystemdNotifier.watchdogInterval() else {
      try? await gracefulShutdown()
      return
    }
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
      _ = await driver.now
      SystemdNotifier.notify("WATCHDOG=1")
      try? await Task.sleep(for: interval / 3)
    }
  }
}
