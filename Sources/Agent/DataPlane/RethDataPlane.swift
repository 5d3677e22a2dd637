import Cluster
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The data-plane service's worker: carries out the core's reth actions with a
/// `RethController`, sends the paced GARP/NA rounds when they are due, takes the links of
/// withdrawn reths down, and puts back what someone else changed on an active reth (the
/// watchdog's reports). Each repair goes to the driver as an input (the core turns it into the
/// journal record and the trap); the counters go to the snapshot store, which merges them into
/// what the views and the MIB read.
///
/// The driver calls `withdraw` itself, before the batch's heartbeat (≈ 0.3 ms: when it returns
/// nothing the reth sends leaves by this node's member; the deprecation of its addresses waits
/// for `withdrawalsAnnounced`, after the heartbeat), and `execute` for `reset`; the action
/// pipeline calls `execute` for the rest, in the core's order. The rounds after the first, the
/// links going down and the repairs run on the "ccagent-reth" thread. One lock serialises
/// every use of the controller (so a withdrawal that falls within another reth's link-down,
/// 500 ms after that one's withdrawal, waits for its RCU grace period).
final class RethDataPlane: DataPlaneExecutor, Sendable {
  private struct State {
    var controller: RethController?
    var watchdog: RethWatchdog?
    var tampered: [(String, TamperKind)] = []
    var stopping = false
    var names: [String] = []
    var plans: [String: RethPlan] = [:]
    var published: [String: RethCounters] = [:]
  }

  private let state = Mutex(State())
  /// Withdrawals per reth: an activation or burst asked before the latest one is dropped. A
  /// lock of its own: the driver reads it for every activation it queues, and `state` may be
  /// held for a link-down's grace period (`finishDueDeactivations`).
  private let withdrawals = Mutex<[String: UInt64]>([:])
  private let wakePipe: WakePipe
  private let logger: Logger
  private let thread = Mutex<NamedThread?>(nil)
  private let inputs: DriverInputs
  private let store: SnapshotStore
  private let sysctlRecord: String?

  /// `sysctlRecord`: where the sysctl values found before are kept (`RethSysctls.record`).
  init(logger: Logger, inputs: DriverInputs, store: SnapshotStore, sysctlRecord: String? = nil)
    throws
  {
    self.logger = logger
    self.inputs = inputs
    self.store = store
    self.sysctlRecord = sysctlRecord
    wakePipe = try WakePipe()
  }

  func ticket(for reth: String) -> UInt64 {
    withdrawals.withLock { $0[reth] ?? 0 }
  }

  func withdraw(_ plan: RethPlan) {
    let logger = self.logger
    // Counted first: an activation the pipeline checks from now on is dropped; one it checked
    // before has finished when `state` is ours, and is silenced here.
    withdrawals.withLock { $0[plan.name, default: 0] &+= 1 }
    state.withLock { state in
      guard let controller = state.controller else { return }
      do {
        try controller.silence(plan.name)
        logger.info(
          "data plane: \(DataPlaneAction.deactivate(plan))", metadata: ["RETH": "\(plan.name)"])
      } catch {
        logger.error(
          "data plane: deactivate failed",
          metadata: ["ERROR": "\(error)", "ACTION": "\(DataPlaneAction.deactivate(plan))"])
      }
    }
  }

  /// The thread's next round marks the handed-over addresses deprecated and sets the links'
  /// down time. Woken here, not by `withdraw`: it would take the lock that the batch's next
  /// withdrawal, still before the heartbeat, waits for.
  func withdrawalsAnnounced() {
    wakePipe.wake()
  }

  func execute(_ action: DataPlaneAction, ticket: UInt64) {
    if case .deactivate(let plan) = action {
      withdraw(plan)
      return withdrawalsAnnounced()
    }
    let logger = self.logger
    state.withLock { state in
      // Made by the first reset, at start or by the reload that adds the first reth.
      if case .reset = action, state.controller == nil {
        state.controller = makeController(state: &state)
      }
      guard let controller = state.controller else {
        logger.error("data plane unavailable: \(action)")
        return
      }
      var name = ""
      if let reth = action.plan?.name, action.isSupersededByWithdrawal,
        ticket != withdrawals.withLock({ $0[reth] ?? 0 })
      {
        logger.info("data plane: \(action.kind) \(reth) dropped: withdrawn since it was asked")
        return
      }
      do {
        switch action {
        case .reset(let plans):
          // Each on its own: one reth that cannot be set up leaves the others prepared.
          for plan in plans { reset(plan, controller: controller, state: &state) }
          return
        case .activate(let plan):
          name = plan.name
          state.plans[plan.name] = plan
          try controller.activate(plan.name, deferTraffic: true)
        case .deactivate:
          return  // withdraw(), above
        case .announce(let plan):
          name = plan.name
          controller.announce(plan.name)
        case .remove(let plan):
          name = plan.name
          // Forgotten whatever the removal did: the core no longer knows the reth either.
          defer {
            controller.forget(plan.name)
            state.plans[plan.name] = nil
            state.names.removeAll { $0 == plan.name }
            state.tampered.removeAll { $0.0 == plan.name }
          }
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

  /// The reths activated since the last call take their traffic together (the driver asks
  /// after each batch with an activation: `RethController.activate(deferTraffic:)`).
  func takeTraffic() {
    let logger = self.logger
    state.withLock { state in
      do {
        try state.controller?.takeTraffic()
      } catch {
        logger.error("data plane: taking traffic failed", metadata: ["ERROR": "\(error)"])
      }
    }
    wakePipe.wake()
  }

  /// A reth as the plan says, set up down (`RethController.adopt`, then `prepareDown`).
  private func reset(_ plan: RethPlan, controller: RethController, state: inout State) {
    do {
      guard let spec = RethSpec(plan) else { throw RethControllerError.unknownReth(plan.name) }
      try controller.adopt(spec)
      state.plans[plan.name] = plan
      if !state.names.contains(plan.name) { state.names.append(plan.name) }
      try controller.prepareDown(plan.name)
      logger.info("data plane: reset \(plan.summary)", metadata: ["RETH": "\(plan.name)"])
      if let problem = controller.handoverProblems[plan.name] {
        logger.warning(
          "\(plan.name) cannot hand over through the fabric: a failover drops what is in flight",
          metadata: ["RETH": "\(plan.name)", "ERROR": "\(problem)"])
      }
    } catch {
      logger.error(
        "data plane: reset failed",
        metadata: ["RETH": "\(plan.name)", "ERROR": "\(error)", "ACTION": "reset \(plan.summary)"])
    }
  }

  private func makeController(state: inout State) -> RethController? {
    do {
      let controller = try RethController(specs: [], sysctlRecord: sysctlRecord)
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
        controller.deprecateHandingOver()
        controller.sendDueAnnouncements()
        controller.lowerDueNeighbourQueues()
        for failure in controller.finishDueDeactivations() {
          logger.error(
            "\(failure.reth) could not be set down",
            metadata: ["RETH": "\(failure.reth)", "ERROR": "\(failure.error)"])
        }
        for (reth, _) in state.tampered where controller.isActive(reth) {
          do {
            let restored = try controller.restore(reth)
            if !restored.isEmpty {
              report(reth, restored, plan: state.plans[reth], controller: controller)
            }
          } catch {
            logger.error(
              "\(reth) could not be restored", metadata: ["RETH": "\(reth)", "ERROR": "\(error)"])
          }
        }
        state.tampered.removeAll()
        publishCounters(controller, state: &state)
        let next = [
          controller.nextAnnouncementDue, controller.nextLinkDownDue,
          controller.nextNeighbourQueueDue,
        ].compactMap { $0 }
        return next.min() ?? .now + .seconds(3600)
      }
      guard let due else { return }
      var wake = pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0)
      _ = poll(&wake, 1, ICMPEchoSocket.milliseconds(ContinuousClock.now.duration(to: due)))
      wakePipe.drain()
    }
  }

  /// A repair for the driver: the link if it was set up again, the configured addresses by
  /// position (our own link-local is not one of them).
  private func report(
    _ reth: String, _ repairs: [TamperKind], plan: RethPlan?, controller: RethController
  ) {
    var link = false
    var positions: [Int] = []
    for repair in repairs {
      switch repair {
      case .linkDown, .linkDeleted: link = true
      case .addressRemoved(let prefix):
        if let position = plan?.addresses.firstIndex(where: {
          $0.octets == prefix.bytes && $0.prefixLength == Int(prefix.prefixLength)
        }) {
          positions.append(position)
        }
      case .eventsLost: continue
      }
    }
    inputs.yield(
      .rethRestored(
        reth, link: link, addresses: positions.sorted(),
        restores: controller.counters(reth)?.restores ?? 0))
  }

  /// Hands the counters to the snapshot store when they changed.
  private func publishCounters(_ controller: RethController, state: inout State) {
    let counters = controller.allCounters
    guard counters != state.published else { return }
    state.published = counters
    store.update(dataPlane: counters)
  }

  /// The agent stops: every reth down and empty (whatever the core said last), sysctls back.
  /// A reth handing over keeps forwarding through the fabric until its grace period ends
  /// (at most `linkDownDelay`): the peer's reth is coming up meanwhile.
  func shutdown() {
    let graceEnds: ContinuousClock.Instant? = state.withLock { state in
      state.stopping = true
      return state.controller?.lastLinkDownDue
    }
    wakePipe.wake()
    if let graceEnds, graceEnds > .now {
      _ = poll(nil, 0, ICMPEchoSocket.milliseconds(ContinuousClock.now.duration(to: graceEnds)))
    }
    let watchdog: RethWatchdog? = state.withLock { state in
      if let controller = state.controller {
        for name in state.names where controller.isActive(name) || controller.isSilenced(name) {
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

extension DataPlaneAction {
  /// The reth an action is about; nil for `reset`, which is about several.
  var plan: RethPlan? {
    switch self {
    case .reset: nil
    case .activate(let plan), .deactivate(let plan), .announce(let plan), .remove(let plan): plan
    }
  }

  /// Activations and bursts asked before a later withdrawal of their reth are not carried out
  /// (one waiting behind a commit while the node gave the RG up again would bring the reth up
  /// on a secondary).
  var isSupersededByWithdrawal: Bool {
    switch self {
    case .activate, .announce: true
    case .reset, .deactivate, .remove: false
    }
  }
}
