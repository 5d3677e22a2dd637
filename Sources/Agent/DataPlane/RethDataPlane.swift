import Cluster
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The data-plane service's worker: carries out the core's reth actions with a
/// `RethController`, sends the paced GARP/NA rounds when they are due, and puts back what
/// someone else changed on an active reth (the watchdog's reports).
///
/// The driver calls `execute` in action order; link and addresses are as asked when it returns
/// (a few netlink round trips), so the batch's heartbeat never announces a role the data plane
/// does not have yet. The rounds after the first and the repairs run on the "ccagent-reth"
/// thread. One lock serialises every use of the controller.
final class RethDataPlane: DataPlaneExecutor, Sendable {
  private struct State {
    var controller: RethController?
    var watchdog: RethWatchdog?
    var tampered: [(String, TamperKind)] = []
    var stopping = false
    var names: [String] = []
  }

  private let state = Mutex(State())
  private let wakePipe: WakePipe
  private let logger: Logger
  private let thread = Mutex<NamedThread?>(nil)

  init(logger: Logger) throws {
    self.logger = logger
    wakePipe = try WakePipe()
  }

  func execute(_ action: DataPlaneAction) {
    let logger = self.logger
    state.withLock { state in
      if case .reset(let plans) = action, state.controller == nil {
        state.controller = makeController(plans, state: &state)
      }
      guard let controller = state.controller else {
        logger.error("data plane unavailable: \(action)")
        return
      }
      var name = ""
      do {
        switch action {
        case .reset(let plans):
          for plan in plans {
            name = plan.name
            try controller.prepareDown(plan.name)
            if !state.names.contains(plan.name) { state.names.append(plan.name) }
          }
          logger.info("data plane: \(action)")
          return
        case .activate(let plan):
          name = plan.name
          try controller.activate(plan.name)
        case .deactivate(let plan):
          name = plan.name
          try controller.deactivate(plan.name)
        case .announce(let plan):
          name = plan.name
          controller.announce(plan.name)
        case .remove(let plan):
          name = plan.name
          try controller.remove(plan.name)
        }
        logger.info("data plane: \(action)", metadata: ["RETH": "\(name)"])
      } catch {
        logger.error(
          "data plane: \(action.kind) failed",
          metadata: ["ERROR": "\(error)", "ACTION": "\(action)"])
      }
    }
    wakePipe.wake()
  }

  private func makeController(_ plans: [RethPlan], state: inout State) -> RethController? {
    let specs = plans.compactMap { plan -> RethSpec? in
      guard let member = plan.members.first else { return nil }
      return RethSpec(
        name: plan.name, member: member, mac: plan.mac,
        addresses: plan.addresses.map(\.description), announcementCount: plan.gratuitousARPCount)
    }
    do {
      let controller = try RethController(specs: specs)
      state.watchdog = try RethWatchdog(
        list: controller.watchList, ignoredPort: controller.netlinkPort
      ) { [weak self] reth, change in
        self?.reported(reth, change)
      }
      let started = NamedThread.launch(name: "ccagent-reth", what: "data-plane", logger: logger) {
        [self] in run()
      }
      thread.withLock { $0 = started }
      return controller
    } catch {
      logger.critical("cannot set up the reth data plane", metadata: ["ERROR": "\(error)"])
      return nil
    }
  }

  private func reported(_ reth: String, _ change: TamperKind) {
    state.withLock { $0.tampered.append((reth, change)) }
    wakePipe.wake()
  }

  /// The rounds due, and repairs of what someone else changed, until `shutdown`.
  private func run() {
    while true {
      let due: ContinuousClock.Instant? = state.withLock { state in
        guard !state.stopping, let controller = state.controller else { return nil }
        controller.sendDueAnnouncements()
        for (reth, change) in state.tampered where controller.isActive(reth) {
          do {
            let restored = try controller.restore(reth)
            if !restored.isEmpty {
              logger.warning(
                "\(reth) was changed by someone else on the primary and is restored (\(change))",
                metadata: [
                  "RETH": "\(reth)", "CHANGE": "\(change)",
                  "RESTORES": "\(controller.counters(reth)?.restores ?? 0)",
                ])
            }
          } catch {
            logger.error(
              "\(reth) could not be restored", metadata: ["RETH": "\(reth)", "ERROR": "\(error)"])
          }
        }
        state.tampered.removeAll()
        return controller.nextAnnouncementDue ?? .now + .seconds(3600)
      }
      guard let due else { return }
      var wake = pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0)
      _ = poll(&wake, 1, ICMPEchoSocket.milliseconds(ContinuousClock.now.duration(to: due)))
      wakePipe.drain()
    }
  }

  /// The agent stops: every reth down and empty (whatever the core said last), sysctls back.
  func shutdown() {
    let watchdog: RethWatchdog? = state.withLock { state in
      state.stopping = true
      if let controller = state.controller {
        for name in state.names where controller.isActive(name) {
          try? controller.deactivate(name)
        }
        _ = controller.restoreSysctls()
      }
      return state.watchdog
    }
    watchdog?.stop()
    wakePipe.wake()
    thread.withLock { $0 }?.join()
  }
}
