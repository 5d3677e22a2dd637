import Cluster
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Watches link state through rtnetlink on a dedicated thread (a blocking netlink read) and
/// feeds every change of a watched interface into the driver's input stream.
final class InterfaceMonitorThread: Sendable {
  private let monitor: LinkMonitor
  private let watched: Mutex<Set<String>>
  private let stopped = Atomic<Bool>(false)
  /// Set by `watch` (a reload) and by lost netlink messages: the thread reads the whole link
  /// table again and reports every watched interface.
  private let rescanRequested = Atomic<Bool>(false)
  private let thread = Mutex<NamedThread?>(nil)

  init(watched: [String]) throws {
    monitor = try LinkMonitor()
    self.watched = Mutex(Set(watched))
  }

  /// The current state of every watched interface; absent ones count as `not-present`.
  /// Only before `start()`: afterwards the thread is the socket's one reader.
  func initialState() throws -> [String: LinkState] {
    let links = try monitor.dumpLinks()
    var state: [String: LinkState] = [:]
    for name in watched.withLock({ $0 }) {
      state[name] = links[name].map { $0.isUp ? .up : .down } ?? .absent
    }
    return state
  }

  /// A reload's new list. The netlink thread itself reads the table again (a second reader
  /// beside its blocking read failed with a concurrent-use error, and a newly monitored
  /// interface that was down then counted as up) and reports every watched interface.
  func watch(_ names: [String]) {
    watched.withLock { $0 = Set(names) }
    rescanRequested.store(true, ordering: .sequentiallyConsistent)
    monitor.wakeUp()
  }

  /// Starts the thread; it first reads the table again, so a change between the start-up
  /// read and now is not missed.
  func start(inputs: DriverInputs, logger: Logger) {
    rescanRequested.store(true, ordering: .sequentiallyConsistent)
    let started = NamedThread.launch(name: "ccagent-netlink", what: "netlink", logger: logger) {
      [self] in
      run(inputs: inputs, logger: logger)
    }
    thread.withLock { $0 = started }
  }

  private func run(inputs: DriverInputs, logger: Logger) {
    var last: [String: LinkState] = [:]
    while !stopped.load(ordering: .relaxed) {
      if rescanRequested.exchange(false, ordering: .sequentiallyConsistent) {
        do {
          for (name, state) in try initialState().sorted(by: { $0.key < $1.key }) {
            last[name] = state
            inputs.yield(.interface(name, state))
          }
        } catch {
          logger.error("netlink link dump failed", metadata: ["ERROR": "\(error)"])
          rescanRequested.store(true, ordering: .sequentiallyConsistent)
          usleep(100_000)
          continue
        }
      }
      do {
        for observation in try monitor.nextEvents() {
          guard watched.withLock({ $0.contains(observation.name) }) else { continue }
          let state: LinkState = observation.deleted ? .absent : (observation.isUp ? .up : .down)
          guard last[observation.name] != state else { continue }
          last[observation.name] = state
          inputs.yield(.interface(observation.name, state))
        }
      } catch LinkMonitorError.overrun {
        // Messages were lost: read the whole table again so no change is missed.
        rescanRequested.store(true, ordering: .sequentiallyConsistent)
      } catch {
        if stopped.load(ordering: .relaxed) { return }
        logger.error("netlink read failed", metadata: ["ERROR": "\(error)"])
        usleep(100_000)
      }
    }
  }

  /// Tells the thread to stop and waits for it.
  func stop() {
    stopped.store(true, ordering: .relaxed)
    monitor.wakeUp()
    thread.withLock { $0 }?.join()
  }
}
