import ArgumentParser
import Cluster
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

@main
struct CCAgentD: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ccagentd",
    abstract: "The ccagent chassis-cluster daemon.",
    discussion: """
      SIGTERM stops it cleanly; SIGHUP reloads the configuration. With --cleanup-reths it \
      starts no agent: it takes this node's reths off the LAN and exits (the unit runs it as \
      ExecStopPost=, so a killed or crashed agent leaves no second owner of their addresses).
      """)

  @Option(name: .long, help: "The configuration file.")
  var config: String = "/etc/ccagent/ccagent.conf"

  @Option(
    name: .long,
    help: "This host's node id (0 or 1); found from the control addresses when omitted.")
  var node: Int?

  @Option(
    name: .long,
    help:
      "Override the configuration's control-socket path (two agents on one host, as in the lab).")
  var controlSocket: String?

  @Option(name: .long, help: "Override the configuration's AgentX socket (two agents on one host).")
  var agentxSocket: String?

  @Option(
    name: .long,
    help: """
      Where the node's lock and last boot epoch live (default: $STATE_DIRECTORY as systemd \
      sets it, else /var/lib/ccagent).
      """)
  var stateDirectory: String?

  @Option(
    name: .long, help: "Where logs go: auto (journal when its socket exists), journal or stderr.")
  var logTarget: LogTarget = .automatic

  @Option(
    name: .long,
    help: """
      SCHED_RR priority for the agent's threads (1-99; 0: the normal scheduler), so that \
      heartbeats are not delayed behind other work; needs CAP_SYS_NICE.
      """)
  var realtimePriority: Int32 = 10

  @Flag(
    name: .long,
    help: """
      Start no agent: delete every configured reth of this node (reth-mac member: remove its \
      addresses from the member), write back the sysctls the agent changed, and exit 0. \
      Refused while an agent runs for the node.
      """)
  var cleanupReths = false

  func validate() throws {
    if let node, node != 0 && node != 1 {
      throw ValidationError("--node must be 0 or 1")
    }
    if !(0...99).contains(realtimePriority) {
      throw ValidationError("--realtime-priority must be 0 (off) or 1-99")
    }
  }

  /// systemd's `StateDirectory=ccagent` sets `$STATE_DIRECTORY` (a list: the first is ours).
  var resolvedStateDirectory: String {
    if let stateDirectory { return stateDirectory }
    if let value = getenv("STATE_DIRECTORY"),
      let first = String(cString: value).split(separator: ":").first
    {
      return String(first)
    }
    return "/var/lib/ccagent"
  }

  func run() async throws {
    if cleanupReths {
      try RethCleanupCommand(
        config: config, node: node, controlSocket: controlSocket,
        stateDirectory: resolvedStateDirectory
      ).run()
      return
    }
    signal(SIGPIPE, SIG_IGN)
    // Until the reload service's handler exists a SIGHUP would kill us (its default), and
    // systemd counts that death as clean: ignore it from the first instruction on.
    signal(SIGHUP, SIG_IGN)
    let loaded: LoadedConfiguration
    do {
      loaded = try ConfigurationLoader.load(
        path: config, node: node, controlSocket: controlSocket, agentXSocket: agentxSocket)
      if let script = loaded.configuration.notifyScript {
        try ScriptSecurity.check(script: script)
      }
    } catch let error as ConfigurationLoadError {
      for line in error.lines { printStandardError(line) }
      printStandardError("ccagentd: refusing to start: the configuration has errors")
      throw ExitCode(1)
    } catch {
      printStandardError("\(config): \(error)")
      printStandardError("ccagentd: refusing to start: the configuration has errors")
      throw ExitCode(1)
    }
    let target = logTarget
    LoggingSystem.bootstrap { label in makeLogHandler(label: label, target: target) }
    var logger = Logger(label: "ccagentd")
    logger[metadataKey: "CLUSTER_ID"] = "\(loaded.configuration.clusterID)"
    logger[metadataKey: "NODE_ID"] = "\(loaded.localNode)"
    for warning in loaded.notices where warning.severity == .warning {
      logger.warning("\(warning)")
    }

    let runtimeDirectory = parentDirectory(of: loaded.configuration.controlSocketPath)
    makeDirectories(runtimeDirectory)
    let locks: [InstanceLock]
    let epoch: UInt64
    do {
      let state = resolvedStateDirectory
      makeDirectories(state, mode: 0o750)
      locks = [
        try InstanceLock(path: loaded.configuration.controlSocketPath + ".lock"),
        try InstanceLock(
          path: "\(state)/node\(loaded.localNode).lock",
          holder: "as node\(loaded.localNode) with the state directory \(state)"),
      ]
      // Written before the first heartbeat: the next start's epoch is above this one.
      epoch = try EpochStore.next(directory: state, node: loaded.localNode)
    } catch {
      printStandardError("ccagentd: \(error)")
      throw ExitCode(1)
    }
    defer { withExtendedLifetime(locks) {} }

    // Before the runtime starts its threads: they inherit it.
    logScheduling(RealtimeScheduling.apply(priority: realtimePriority), logger: logger)
    let runtime = try await AgentRuntime.assemble(loaded: loaded, epoch: epoch, logger: logger)
    // Every handler exists before READY=1: systemd's ExecReload may send SIGHUP at once.
    let hangups = await UnixSignalsSequence(trapping: .sighup)
    let reload = ReloadService(
      runtime: runtime, hangups: hangups, path: config, node: node,
      controlSocket: controlSocket, agentXSocket: agentxSocket, logger: logger)
    let group = ServiceGroup(
      configuration: .init(
        services: runtime.services(reload: reload),
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    SystemdNotifier.notify(
      "READY=1\nSTATUS=node\(loaded.localNode) of cluster \(loaded.configuration.clusterID) running"
    )
    AgentRuntime.returnFreedMemory(after: .seconds(5))
    try await group.run()
    await runtime.finish()
  }
}

extension LogTarget: ExpressibleByArgument {
  public init?(argument: String) {
    switch argument {
    case "auto", "automatic": self = .automatic
    case "journal": self = .journal
    case "stderr": self = .stderr
    default: return nil
    }
  }
}

func printStandardError(_ text: String) {
  var line = text + "\n"
  line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// One line at start: how the agent is scheduled, and what to change when it could not be.
func logScheduling(_ outcome: RealtimeScheduling.Outcome, logger: Logger) {
  switch outcome {
  case .off:
    logger.info("scheduling: normal (--realtime-priority 0)")
  case .applied(let priority, _):
    logger.info("scheduling: SCHED_RR priority \(priority) (--realtime-priority)")
  case .inherited(let priority):
    logger.info(
      "scheduling: realtime priority \(priority), as started (the unit's CPUSchedulingPolicy)")
  case .refused(let error):
    logger.warning(
      """
      scheduling: normal, realtime refused (\(String(cString: strerror(error)))): heartbeats \
      may be delayed behind other work and read as a lost peer at short intervals; start it \
      realtime (the packaged unit's CPUSchedulingPolicy=rr), give it CAP_SYS_NICE, or pass \
      --realtime-priority 0
      """)
  }
}
