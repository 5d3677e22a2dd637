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

  init(watched: [String]) throws {
    monitor = try LinkMonitor()
    self.watched = Mutex(Set(watched))
  }

  /// The current state of every watched interface; absent ones count as `not-present`.
  func initialState() throws -> [String: LinkState] {
    let links = try monitor.dumpLinks()
    var state: [String: LinkState] = [:]
    for name in watched.withLock({ $0 }) {
      state[name] = links[name].map { $0.isUp ? .up : .down } ?? .absent
    }
    return state
  }

  func watch(_ names: [String]) {
    watched.withLock { $0 = Set(names) }
  }

  func start(inputs: DriverInputs, logger: Logger) {
    let thread = NamedThread(name: "ccagent-netlink") { [self] in
      var last: [String: LinkState] = [:]
      while !stopped.load(ordering: .relaxed) {
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
          if let all = try? initialState() {
            for (name, state) in all where last[name] != state {
              last[name] = state
              inputs.yield(.interface(name, state))
            }
          }
        } catch {
          if stopped.load(ordering: .relaxed) { return }
          logger.error("netlink read failed", metadata: ["ERROR": "\(error)"])
          usleep(100_000)
        }
      }
    }
    thread.start()
  }

  func stop() {
    stopped.store(true, ordering: .relaxed)
    monitor.wakeUp()
  }
}
