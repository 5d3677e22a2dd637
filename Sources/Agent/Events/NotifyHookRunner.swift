import CLinux
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the configured notify script on each RG state change, like keepalived's notify
/// scripts: `SCRIPT RG NEW_STATE PREV_STATE REASON`.
///
/// One runner serves the agent's whole life: runs are queued in event order and run one at a
/// time on the runner's own thread, and a reload only changes the script of the runs queued
/// after it (a runner per configuration lost the queued runs on every SIGHUP, and its cancelled
/// task spun at 100 % CPU until its script ended). Each run is a process group of its own,
/// killed whole at the timeout, with default signal dispositions and no descriptor of ours.
final class NotifyHookRunner: Sendable {
  static let queueCapacity = 256

  private struct Job: Sendable {
    let script: String
    let timeout: Duration
    let arguments: [String]
  }

  private struct Settings: Sendable {
    var script: String?
    var timeout: Duration = .seconds(10)
  }

  private let settings = Mutex(Settings())
  private let logger: Logger
  private let worker: SerialWorker<Job>

  init(logger: Logger) throws {
    self.logger = logger
    worker = try SerialWorker(
      name: "ccagent-hooks", capacity: Self.queueCapacity,
      handle: { job in Self.run(job, logger: logger) },
      reportDropped: { dropped in
        logger.warning(
          "notify-script runs dropped: more than \(Self.queueCapacity) were waiting",
          metadata: ["DROPPED": "\(dropped)"])
      })
  }

  /// The script for the runs queued from now on (nil: none).
  func configure(script: String?, timeout: Duration) {
    settings.withLock { $0 = Settings(script: script, timeout: timeout) }
  }

  func notify(group: Int, newState: String, previousState: String, reason: String) {
    let current = settings.withLock { $0 }
    guard let script = current.script else { return }
    worker.submit(
      Job(
        script: script, timeout: current.timeout,
        arguments: [String(group), newState, previousState, reason]))
  }

  /// Runs what is queued (the agent's last transitions belong to its hooks too), then ends
  /// the thread; each run is still bounded by its timeout.
  func stop() { worker.stop() }

  private static func run(_ job: Job, logger: Logger) {
    let argv = [job.script] + job.arguments
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for arg in cArgs { free(arg) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    _ = posix_spawn_file_actions_addclosefrom_np(&actions, 3)
    var attributes = ChildProcess.attributes()
    defer { posix_spawnattr_destroy(&attributes) }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, job.script, &actions, &attributes, cArgs, environ)
    guard spawned == 0 else {
      logger.error(
        "notify script could not be started",
        metadata: ["SCRIPT": "\(job.script)", "ERROR": "\(String(cString: strerror(spawned)))"])
      return
    }
    var status: Int32 = 0
    guard waitForExit(pid, timeout: job.timeout, status: &status) else {
      kill(-pid, SIGKILL)
      _ = waitpid(pid, &status, 0)
      logger.error(
        "notify script timed out and was killed",
        metadata: [
          "SCRIPT": "\(job.script)", "TIMEOUT_S": "\(job.timeout.components.seconds)",
          "ARGUMENTS": "\(job.arguments.joined(separator: " "))",
        ])
      return
    }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    if !exited || code != 0 {
      logger.warning(
        "notify script failed",
        metadata: [
          "SCRIPT": "\(job.script)", "EXIT_STATUS": "\(exited ? code : -1)",
          "SIGNAL": "\(exited ? 0 : status & 0x7f)",
          "ARGUMENTS": "\(job.arguments.joined(separator: " "))",
        ])
    }
  }

  /// Waits until the script exits (true, status filled in) or the timeout passes (false).
  private static func waitForExit(_ pid: pid_t, timeout: Duration, status: inout Int32) -> Bool {
    let deadline = ContinuousClock.now + timeout
    let pidfd = ccagent_pidfd_open(pid)
    defer { if pidfd >= 0 { close(pidfd) } }
    while true {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid { return true }
      if result < 0 && errno != EINTR { return true }
      let left = ContinuousClock.now.duration(to: deadline)
      if left <= .zero { return false }
      let milliseconds = ICMPEchoSocket.milliseconds(left)
      if pidfd >= 0 {
        var ready = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        _ = poll(&ready, 1, milliseconds)
      } else {
        usleep(20_000)  // kernels before 5.3: a slow loop on this thread, never a spin
      }
    }
  }
}
