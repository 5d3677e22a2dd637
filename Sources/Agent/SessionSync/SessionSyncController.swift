import Cluster
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Carries out the core's session-sync actions (DESIGN §11). The action pipeline calls
/// `execute` in the core's order, off the driver: a commit runs there and then, bounded by its
/// timeout, so the activations queued after it (the reths coming up, the GARPs) wait for it
/// while heartbeats go on; the other commands go to the "ccagent-ctd" worker.
protocol SessionSyncExecutor: Sendable {
  /// Returns the commit's outcome for a `commit`, nil for the others.
  func execute(_ action: SessionSyncAction) -> SessionCommit?
}

/// The session-sync service's worker: conntrackd commands, and a poll of its counters
/// (`-s`) every `pollInterval`, reported to the driver (health, the end of a cold sync).
final class SessionSyncController: SessionSyncExecutor, Sendable {
  static let pollInterval = Duration.milliseconds(500)
  /// A command that does not answer within this is given up (and the sync counts as
  /// unreachable); the commit has its own bound.
  static let commandTimeout = Duration.seconds(5)

  private let client: ConntrackdClient
  private let logger: Logger
  private let worker: SerialWorker<SessionSyncAction>
  private let latest = Mutex<ConntrackdStatistics?>(nil)
  private let stopped = Atomic<Bool>(false)
  private let wakePipe: WakePipe
  private let thread = Mutex<NamedThread?>(nil)

  init(configuration: SessionSyncConfiguration, logger: Logger, binary: String? = nil) throws {
    let (client, why) = ConntrackdClient.make(
      binary: binary ?? "/usr/sbin/conntrackd", config: configuration.conntrackdConfig)
    if let path = client.socketPath {
      logger.info("session sync: asking conntrackd on its socket \(path)")
    } else {
      logger.notice(
        "session sync: running conntrackd -C \(configuration.conntrackdConfig) for each command",
        metadata: ["REASON": "\(why ?? "")"])
    }
    self.client = client
    self.logger = logger
    wakePipe = try WakePipe()
    worker = try SerialWorker(
      name: "ccagent-ctd", capacity: 64,
      handle: { action in Self.run(action, client: client, logger: logger) },
      reportDropped: { dropped in
        logger.warning(
          "conntrackd commands dropped: more than 64 were waiting",
          metadata: ["DROPPED": "\(dropped)"])
      })
  }

  func execute(_ action: SessionSyncAction) -> SessionCommit? {
    guard case .commit(let groups, let timeoutMilliseconds) = action else {
      worker.submit(action)
      return nil
    }
    let sessions = latest.withLock { $0?.externalCache.active } ?? 0
    let result = client.run(["-c"], timeout: .milliseconds(timeoutMilliseconds))
    let commit = SessionCommit(
      groups: groups, sessions: sessions, milliseconds: result.elapsed.millisecondsClamped,
      timedOut: !result.succeeded, error: result.succeeded ? nil : result.failure)
    if result.succeeded {
      logger.info(
        "session sync: \(action)", metadata: ["DURATION_MS": "\(commit.milliseconds)"])
    } else {
      logger.error(
        "session sync: commit failed or timed out; the reths come up anyway",
        metadata: ["ERROR": "\(result.failure)", "DURATION_MS": "\(commit.milliseconds)"])
    }
    return commit
  }

  private static func run(_ action: SessionSyncAction, client: ConntrackdClient, logger: Logger) {
    for command in action.commands {
      let result = client.run(command, timeout: commandTimeout)
      guard result.succeeded else {
        logger.error(
          "session sync: conntrackd \(command.joined(separator: " ")) failed",
          metadata: ["ERROR": "\(result.failure)", "ACTION": "\(action)"])
        return
      }
    }
    logger.info("session sync: \(action)")
  }

  /// Starts polling conntrackd's counters; each poll becomes a driver input.
  func start(report: @escaping @Sendable (SessionSyncReport) -> Void) {
    let started = NamedThread.launch(
      name: "ccagent-ctdpoll", what: "session-sync poll", logger: logger
    ) { [self] in
      poll(report: report)
    }
    thread.withLock { $0 = started }
  }

  private func poll(report: @Sendable (SessionSyncReport) -> Void) {
    while !stopped.load(ordering: .relaxed) {
      let result = client.run(["-s"], timeout: Self.commandTimeout)
      if result.succeeded, let sample = ConntrackdStatistics.parse(result.output) {
        latest.withLock { $0 = sample }
        report(.sample(sample))
      } else {
        report(.unreachable(result.succeeded ? "unrecognised statistics" : result.failure))
      }
      var wake = pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0)
      _ = Glibc.poll(&wake, 1, ICMPEchoSocket.milliseconds(Self.pollInterval))
      wakePipe.drain()
    }
  }

  /// Ends the poll, then runs the queued commands (the stop's own `-t`, `-n` among them).
  func stop() {
    stopped.store(true, ordering: .relaxed)
    wakePipe.wake()
    thread.withLock { $0 }?.join()
    worker.stop()
  }
}
