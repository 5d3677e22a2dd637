import Cluster
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Pings every ip-monitoring address from one thread: one ICMP or ICMPv6 socket per family and
/// source address, a `PingSchedule` for the timing, `poll` until the next request, reply or
/// timeout is due. Each result goes into the driver's input stream; the core counts
/// `retry-count`.
final class IPMonitorThread: Sendable {
  private let stopped = Atomic<Bool>(false)
  private let pending: Mutex<[PingTarget]?>
  /// Wakes the thread out of `poll` for a new target list or a stop.
  private let wakePipe: WakePipe
  private let thread = Mutex<NamedThread?>(nil)

  init(targets: [PingTarget]) throws {
    pending = Mutex(targets)
    wakePipe = try WakePipe()
  }

  /// New targets after a reload; unchanged addresses keep their rhythm.
  func update(targets: [PingTarget]) {
    pending.withLock { $0 = targets }
    wake()
  }

  /// Tells the thread to stop and waits until it has closed its sockets.
  func stop() {
    stopped.store(true, ordering: .relaxed)
    wake()
    thread.withLock { $0 }?.join()
  }

  private func wake() {
    wakePipe.wake()
  }

  func start(inputs: DriverInputs, logger: Logger) {
    let started = NamedThread.launch(name: "ccagent-ping", what: "ip-monitoring", logger: logger) {
      [self] in
      run(inputs: inputs, logger: logger)
    }
    thread.withLock { $0 = started }
  }

  private func run(inputs: DriverInputs, logger: Logger) {
    var schedule = PingSchedule()
    // By family and source address; reopened at the next request on failure.
    var sockets: [PingSocketKey: ICMPEchoSocket] = [:]
    defer { for socket in sockets.values { socket.close() } }
    // Results of this wake-up, handed over in one input before waiting again.
    var results: [PingResult] = []
    while !stopped.load(ordering: .relaxed) {
      if let targets = pending.withLock({ value in
        defer { value = nil }
        return value
      }) {
        schedule.update(targets, now: .now)
        let needed = schedule.socketKeys
        for (key, socket) in sockets where !needed.contains(key) {
          socket.close()
          sockets[key] = nil
        }
      }
      let now = ContinuousClock.now
      for address in schedule.expire(now: now) {
        results.append(PingResult(address: address, replied: false))
      }
      for entry in schedule.due(now: now) {
        let key = entry.socketKey
        if let key, sockets[key] == nil {
          do {
            sockets[key] = try ICMPEchoSocket(
              family: key.family, source: entry.target.sourceAddress)
          } catch {
            logger.error(
              "cannot open an ICMP socket for ip-monitoring",
              metadata: ["IP_ADDRESS": "\(entry.target.address)", "ERROR": "\(error)"])
          }
        }
        let request = entry.destination.flatMap { destination in
          key.flatMap { sockets[$0] }?.send(to: destination)
        }
        if schedule.sent(entry.target.address, request: request, now: now) {
          results.append(PingResult(address: entry.target.address, replied: false))
        }
        if request == nil {
          results.append(PingResult(address: entry.target.address, replied: false))
        }
      }
      // One input per wake-up: the driver evaluates every RG once for all of them.
      if !results.isEmpty {
        inputs.yield(.pings(results))
        results.removeAll()
      }
      let order = Array(sockets.values)
      var fds = [pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0)]
      fds += order.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
      // No targets: sleep until a reload or stop wakes us.
      let timeout = schedule.nextWake.map {
        ICMPEchoSocket.milliseconds(ContinuousClock.now.duration(to: $0))
      }
      let ready = poll(&fds, nfds_t(fds.count), timeout ?? -1)
      guard ready > 0 else { continue }
      if fds[0].revents != 0 { wakePipe.drain() }
      for (index, socket) in order.enumerated() where fds[index + 1].revents != 0 {
        for reply in socket.receiveReplies() {
          if let address = schedule.received(reply) {
            results.append(PingResult(address: address, replied: true))
          }
        }
      }
    }
  }
}
