import CLinux

#if canImport(Glibc)
  import Glibc
#endif

/// One short-lived child with its output captured and a deadline: default signal
/// dispositions, a process group of its own (killed whole at the deadline), no descriptor of
/// the agent's but the output pipe.
enum ChildProcess {
  static let outputLimit = 64 * 1024

  /// Spawn attributes for a child of the agent: the agent ignores SIGPIPE and SIGHUP and its
  /// signal threads block others, so the child starts with the defaults and an empty mask, in
  /// a process group of its own (a timeout kills the group), under the normal scheduler.
  /// Destroy them after the spawn.
  static func attributes() -> posix_spawnattr_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCHLD] {
      sigaddset(&defaults, signal)
    }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setpgroup(&attributes, 0)
    // The agent may run at a realtime priority (`RealtimeScheduling`); its children do not.
    var normal = sched_param(sched_priority: 0)
    posix_spawnattr_setschedpolicy(&attributes, Int32(SCHED_OTHER))
    posix_spawnattr_setschedparam(&attributes, &normal)
    posix_spawnattr_setflags(
      &attributes,
      Int16(
        POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
          | POSIX_SPAWN_SETSCHEDULER))
    return attributes
  }

  static func run(_ argv: [String], timeout: Duration) -> ConntrackdClient.Outcome {
    let started = ContinuousClock.now
    func outcome(_ status: ConntrackdClient.Outcome.Status, _ output: [UInt8])
      -> ConntrackdClient
      .Outcome
    {
      .init(
        status: status, output: String(decoding: output, as: UTF8.self),
        elapsed: started.duration(to: .now))
    }
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else {
      return outcome(.notStarted(String(cString: strerror(errno))), [])
    }
    // Close-on-exec: no other child (a notify script) inherits this pipe.
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for arg in cArgs { free(arg) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
    _ = posix_spawn_file_actions_addclosefrom_np(&actions, 3)
    var attributes = attributes()
    defer { posix_spawnattr_destroy(&attributes) }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
    close(fds[1])
    defer { close(fds[0]) }
    guard spawned == 0 else {
      return outcome(.notStarted(String(cString: strerror(spawned))), [])
    }
    let deadline = started + timeout
    let pidfd = ccagent_pidfd_open(pid)
    defer { if pidfd >= 0 { close(pidfd) } }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    var open = true
    var status: Int32 = 0
    while true {
      if waitpid(pid, &status, WNOHANG) == pid {
        // Whatever is still in the pipe belongs to the answer.
        while open {
          let n = read(fds[0], &buffer, buffer.count)
          if n <= 0 { break }
          if output.count < outputLimit { output += buffer[0..<n] }
        }
        let exited = status & 0x7f == 0
        return outcome(exited ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f), output)
      }
      let left = ContinuousClock.now.duration(to: deadline)
      if left <= .zero {
        kill(-pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return outcome(.timedOut, output)
      }
      var polls = [
        pollfd(fd: open ? fds[0] : -1, events: Int16(POLLIN), revents: 0),
        pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0),
      ]
      // Without a pidfd (kernels before 5.3) a 10 ms slice, never a spin.
      let slice =
        pidfd >= 0 ? ICMPEchoSocket.milliseconds(left) : min(10, ICMPEchoSocket.milliseconds(left))
      _ = poll(&polls, 2, slice)
      if open && polls[0].revents != 0 {
        let n = read(fds[0], &buffer, buffer.count)
        if n > 0 {
          if output.count < outputLimit { output += buffer[0..<n] }
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
          open = false
        }
      }
    }
  }
}
