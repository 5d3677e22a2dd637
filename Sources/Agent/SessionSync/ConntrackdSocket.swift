import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// conntrackd's own client protocol on its UNIX socket (`General { UNIX { Path … } }`): the
/// request code as a native-endian 32-bit integer, then the daemon's answer until it closes
/// the connection (after a commit, only once the commit is done). It is what `conntrackd -C
/// FILE -c` does once it has read and parsed the whole file; asking directly saves that
/// process: ≈ 2 ms of every commit on the takeover path (0.15 ms instead of 2.2 measured), and
/// two processes a second for the statistics poll.
enum ConntrackdSocket {
  /// conntrackd 1.4's request codes (its `include/conntrackd.h`, unchanged since 1.2), by the
  /// command-line option that sends them; checked against what `conntrackd -C FILE OPTION`
  /// 1.4.7 writes to the socket.
  static let requests: [[String]: Int32] = [
    ["-s"]: 21,  // STATS
    ["-B"]: 22,  // SEND_BULK
    ["-n"]: 23,  // REQUEST_DUMP
    ["-t"]: 26,  // RESET_TIMERS
    ["-R"]: 44,  // ALL_RESYNC_MASTER
    ["-f"]: 45,  // ALL_FLUSH_CACHE
    ["-c"]: 46,  // ALL_COMMIT
  ]

  /// Sends `code` to the daemon at `path` and reads its answer (at most 64 KiB kept) until it
  /// closes the connection or `timeout` has passed. The outcome reads as the client's would:
  /// exit status 1 with conntrackd's own words when the daemon cannot be reached.
  static func request(_ code: Int32, path: String, timeout: Duration)
    -> ConntrackdClient.Outcome
  {
    let started = ContinuousClock.now
    let deadline = started.advanced(by: timeout)
    func outcome(_ status: ConntrackdClient.Outcome.Status, _ output: String = "")
      -> ConntrackdClient.Outcome
    {
      .init(status: status, output: output, elapsed: started.duration(to: .now))
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return outcome(.notStarted(String(cString: strerror(errno)))) }
    defer { close(fd) }
    // A blocking connect: a UNIX socket connects at once or fails (no daemon, full backlog).
    let reason = SocketAddress.connect(fd, unixPath: path)
    if reason == ENAMETOOLONG { return outcome(.notStarted("socket path too long: \(path)")) }
    guard reason == 0 else {
      let why = String(cString: strerror(reason))
      return outcome(
        .exited(1),
        "[ERROR] can't connect: is conntrackd running? appropriate permissions? (\(why))"
      )
    }
    var request = code
    let sent = withUnsafeBytes(of: &request) {
      send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
    }
    guard sent == MemoryLayout<Int32>.size else {
      return outcome(.exited(1), "[ERROR] sending the request: \(String(cString: strerror(errno)))")
    }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let left = ContinuousClock.now.duration(to: deadline)
      guard left > .zero else { return outcome(.timedOut, String(decoding: output, as: UTF8.self)) }
      var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let polled = poll(&ready, 1, max(1, ICMPEchoSocket.milliseconds(left)))
      if polled < 0 && errno == EINTR { continue }
      guard polled > 0 else { continue }  // the deadline check above ends it
      let n = read(fd, &buffer, buffer.count)
      if n < 0 && errno == EINTR { continue }
      if n < 0 {
        let why = String(cString: strerror(errno))
        return outcome(.exited(1), "[ERROR] reading the answer: \(why)")
      }
      if n == 0 { break }
      if output.count < ChildProcess.outputLimit { output += buffer[0..<n] }
    }
    return outcome(.exited(0), String(decoding: output, as: UTF8.self))
  }
}
