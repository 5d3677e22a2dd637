import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the configured notify script on each RG state change, like keepalived's notify
/// scripts: `SCRIPT RG NEW_STATE PREV_STATE REASON`. Runs one at a time in order, off the
/// driver, with a timeout after which the script is killed; failures are logged.
final class NotifyHookRunner: Sendable {
  private let continuation: AsyncStream<[String]>.Continuation
  private let task: Task<Void, Never>

  init(script: String, timeout: Duration, logger: Logger) {
    let (stream, continuation) = AsyncStream.makeStream(
      of: [String].self, bufferingPolicy: .bufferingNewest(256))
    self.continuation = continuation
    task = Task.detached {
      for await arguments in stream {
        await Self.run(script: script, arguments: arguments, timeout: timeout, logger: logger)
      }
    }
  }

  func notify(group: Int, newState: String, previousState: String, reason: String) {
    continuation.yield([String(group), newState, previousState, reason])
  }

  func stop() {
    continuation.finish()
    task.cancel()
  }

  private static func run(script: String, arguments: [String], timeout: Duration, logger: Logger)
    async
  {
    let argv = [script] + arguments
    var pid = pid_t()
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for arg in cArgs { free(arg) } }
    let spawned = posix_spawn(&pid, script, nil, nil, cArgs, environ)
    guard spawned == 0 else {
      logger.error(
        "notify script could not be started",
        metadata: ["SCRIPT": "\(script)", "ERROR": "\(String(cString: strerror(spawned)))"])
      return
    }
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while true {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid { break }
      if result < 0 && errno != EINTR { return }
      if ContinuousClock.now >= deadline {
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        logger.error(
          "notify script timed out and was killed",
          metadata: [
            "SCRIPT": "\(script)", "TIMEOUT_S": "\(timeout.components.seconds)",
            "ARGUMENTS": "\(arguments.joined(separator: " "))",
          ])
        return
      }
      try? await Task.sleep(for: .milliseconds(20))
    }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    if !exited || code != 0 {
      logger.warning(
        "notify script failed",
        metadata: [
          "SCRIPT": "\(script)", "EXIT_STATUS": "\(exited ? code : -1)",
          "SIGNAL": "\(exited ? 0 : status & 0x7f)",
          "ARGUMENTS": "\(arguments.joined(separator: " "))",
        ])
    }
  }
}
