/// A deterministic discrete-event simulation of two nodes, each running the real state machine,
/// joined by simulated control and fabric links (DESIGN §2: the same core, a virtual clock),
/// and the LAN heartbeat and the witness's `WitnessArbiter` when configured (DESIGN §12).
public struct Simulator {
  public enum Output: Sendable, Equatable {
    case transition(time: ClusterTime, node: Int, change: GroupStateChange)
    case event(time: ClusterTime, node: Int, event: ClusterEvent)
    case status(time: ClusterTime, node: Int, snapshot: ClusterSnapshot?)
    case refused(time: ClusterTime, node: Int, message: String)
    /// What the node's data-plane service would do to the kernel.
    case dataPlane(time: ClusterTime, node: Int, action: DataPlaneAction)
    /// A decision of the witness.
    case witness(time: ClusterTime, event: WitnessArbiter.Event)
    /// What the node's session-sync service would tell conntrackd.
    case sessionSync(time: ClusterTime, node: Int, action: SessionSyncAction)
  }

  /// How long the primary's conntrackd takes to answer a resync request with its bulk sync.
  public static let bulkSyncLatency = Duration.milliseconds(20)

  /// One-way delay of both simulated links.
  public static let linkLatency = Duration.milliseconds(1)

  private enum Work {
    case step(ScenarioStep)
    case deliver(to: Int, message: HeartbeatMessage, epoch: UInt64)
    case wake(node: Int, generation: Int)
    case ping(node: Int, address: String, epoch: UInt64)
    case toWitness(WitnessRequest, from: Int)
    case fromWitness(WitnessReply, to: Int, epoch: UInt64)
    case bulkSync(node: Int, epoch: UInt64)
  }

  private struct Item {
    var time: ClusterTime
    /// Internal work runs before scenario steps at the same instant, so `status` shows its result.
    var rank: Int
    var order: Int
    var work: Work
  }

  private struct Node {
    var machine: ClusterStateMachine?
    var interfaces: [String: LinkState] = [:]
    var unreachable: Set<String> = []
    var wakeGeneration = 0
    var boots = 0
  }

  public let configuration: ClusterConfiguration
  private var configurations: [ClusterConfiguration]
  private var digests: [UInt64]
  private var observer: ((Moment) -> Void)?
  private var queue: [Item] = []
  private var order = 0
  private var nodes = [Node(), Node()]
  private var cut: Set<HeartbeatMessage.Link> = []
  /// The running witness (nil: none configured, or crashed) and the nodes cut off from it.
  private var arbiter: WitnessArbiter?
  private var witnessBoots = 0
  private var witnessCut: Set<Int> = []
  private var outputs: [Output] = []
  private var now = ClusterTime.zero

  public init(configuration: ClusterConfiguration) {
    self.configuration = configuration
    self.configurations = [configuration, configuration]
    let digest = ConfigurationDigest.digest(of: configuration)
    self.digests = [digest, digest]
    if configuration.witness != nil {
      // Running long before the scenario starts, so its start-up grace is over.
      arbiter = WitnessArbiter(startedAt: .milliseconds(-3_600_000), nonceSeed: 1 << 40)
    }
  }

  /// What an observer sees after every simulated instant: both nodes' RG states (nil for a
  /// node that is not running) and which links are cut. Tests check invariants with it.
  public struct Moment {
    public var time: ClusterTime
    public var states: [[Int: RedundancyGroupState]?]
    public var cut: Set<HeartbeatMessage.Link>
    /// Per node: the witness runs and the node's path to it is intact.
    public var witnessReachable: [Bool]
  }

  /// Runs every step and the traffic between them; stops at the last step's time.
  /// `configurations` gives each node its own configuration (to simulate a mismatch).
  public static func run(
    _ scenario: Scenario, configurations: [ClusterConfiguration]? = nil,
    observe: ((Moment) -> Void)? = nil
  ) -> [Output] {
    var simulator = Simulator(configuration: scenario.configuration)
    if let configurations {
      simulator.configurations = configurations
      simulator.digests = configurations.map(ConfigurationDigest.digest(of:))
    }
    simulator.observer = observe
    for step in scenario.steps {
      simulator.schedule(at: step.time, rank: 1, .step(step))
    }
    let end = scenario.steps.last?.time ?? .zero
    simulator.run(until: end)
    return simulator.outputs
  }

  private mutating func schedule(at time: ClusterTime, rank: Int = 0, _ work: Work) {
    order += 1
    let item = Item(time: time, rank: rank, order: order, work: work)
    // Binary insertion keeps the queue ordered by (time, rank, order).
    var low = 0
    var high = queue.count
    while low < high {
      let mid = (low + high) / 2
      let other = queue[mid]
      if (other.time, other.rank, other.order) < (item.time, item.rank, item.order) {
        low = mid + 1
      } else {
        high = mid
      }
    }
    queue.insert(item, at: low)
  }

  private mutating func run(until end: ClusterTime) {
    while let item = queue.first, item.time <= end {
      queue.removeFirst()
      now = item.time
      switch item.work {
      case .step(let step): perform(step)
      case .deliver(let node, let message, let epoch):
        guard let machine = nodes[node].machine, machine.bootEpoch == epoch else { continue }
        if cut.contains(message.link) { continue }
        handle(node) { $0.messageReceived(message, now: $1) }
      case .toWitness(let request, let node):
        guard !witnessCut.contains(node), var witness = arbiter else { continue }
        let decision = witness.requestReceived(request, keyIndex: 0, now: now)
        arbiter = witness
        for event in decision.events { outputs.append(.witness(time: now, event: event)) }
        if let reply = decision.reply {
          schedule(
            at: now + Self.linkLatency,
            .fromWitness(reply, to: node, epoch: request.bootEpoch))
        }
      case .fromWitness(let reply, let node, let epoch):
        guard let machine = nodes[node].machine, machine.bootEpoch == epoch,
          !witnessCut.contains(node)
        else { continue }
        handle(node) { $0.witnessReplyReceived(reply, now: $1) }
      case .wake(let node, let generation):
        guard nodes[node].wakeGeneration == generation, nodes[node].machine != nil else { continue }
        handle(node) { $0.tick(now: $1) }
      case .ping(let node, let address, let epoch):
        guard let machine = nodes[node].machine, machine.bootEpoch == epoch else { continue }
        let replied = !nodes[node].unreachable.contains(address)
        handle(node) { $0.pingResult(address: address, replied: replied, now: $1) }
        if let target = machine.pingTargets.first(where: { $0.address == address }) {
          schedule(at: now + target.interval, .ping(node: node, address: address, epoch: epoch))
        }
      case .bulkSync(let node, let epoch):
        // The peer's conntrackd answers over the fabric when its node is running.
        guard nodes[node].machine?.bootEpoch == epoch, nodes[1 - node].machine != nil,
          !cut.contains(.fabric)
        else { continue }
        handle(node) { $0.bulkSyncCompleted(now: $1) }
      }
      if let observer, queue.first.map({ $0.time > now }) ?? true {
        observer(
          Moment(
            time: now,
            states: nodes.map { node in
              node.machine.map { m in
                m.status.redundancyGroups.reduce(into: [:]) {
                  $0[$1.id] = $1.nodes[m.localNode].status
                }
              }
            }, cut: cut,
            witnessReachable: (0...1).map { arbiter != nil && !witnessCut.contains($0) }))
      }
    }
  }

  private mutating func perform(_ step: ScenarioStep) {
    switch step.command {
    case .boot(let node):
      guard nodes[node].machine == nil else { return }
      nodes[node].boots += 1
      // Deterministic epochs: the same scenario always prints the same story.
      let epoch = UInt64(node + 1) << 32 | UInt64(nodes[node].boots)
      var machine = ClusterStateMachine(
        configuration: configurations[node], localNode: node, bootEpoch: epoch,
        configDigest: digests[node])
      let actions = machine.start(now: now, interfaces: nodes[node].interfaces)
      nodes[node].machine = machine
      execute(actions, from: node)
      rearm(node)
      for target in machine.pingTargets {
        schedule(
          at: now + target.interval, .ping(node: node, address: target.address, epoch: epoch))
      }
    case .crash(let node):
      nodes[node].machine = nil
      nodes[node].wakeGeneration += 1
    case .link(let node, let interface, let state):
      nodes[node].interfaces[interface] = state
      if nodes[node].machine != nil {
        handle(node) { $0.interfaceChanged(interface, state: state, now: $1) }
      }
    case .ip(let node, let address, let reachable):
      if reachable {
        nodes[node].unreachable.remove(address)
      } else {
        nodes[node].unreachable.insert(address)
      }
    case .cut(let link): cut.insert(link)
    case .heal(let link): cut.remove(link)
    case .failover(let group, let target):
      request(group: group) { machine, time in
        machine.requestManualFailover(group: group, node: target, requestedBy: 0, now: time)
      }
    case .failoverReset(let group):
      request(group: group) { machine, time in
        machine.resetManualFailover(group: group, requestedBy: 0, now: time)
      }
    case .clearFailoverCount:
      guard let node = operatorNode() else { return }
      handle(node) { $0.clearFailoverCount(requestedBy: 0, now: $1) }
    case .crashWitness:
      arbiter = nil
    case .bootWitness:
      guard arbiter == nil, configuration.witness != nil else { return }
      witnessBoots += 1
      arbiter = WitnessArbiter(startedAt: now, nonceSeed: UInt64(witnessBoots + 1) << 40)
    case .cutWitness(let node):
      witnessCut.formUnion(node.map { [$0] } ?? [0, 1])
    case .healWitness(let node):
      witnessCut.subtract(node.map { [$0] } ?? [0, 1])
    case .status:
      for node in 0...1 {
        outputs.append(
          .status(time: now, node: node, snapshot: nodes[node].machine?.snapshot(now: now)))
      }
    }
  }

  /// Operator requests go to the RG0 primary, as on an SRX, else to any running node.
  private func operatorNode() -> Int? {
    let running = (0...1).filter { nodes[$0].machine != nil }
    return running.first { nodes[$0].machine?.state(of: 0, on: $0) == .primary } ?? running.first
  }

  private mutating func request(
    group: Int,
    _ body: (inout ClusterStateMachine, ClusterTime) -> Result<[ClusterAction], RequestRefusal>
  ) {
    guard let node = operatorNode(), var machine = nodes[node].machine else {
      outputs.append(.refused(time: now, node: 0, message: "no node is running"))
      return
    }
    let result = body(&machine, now)
    nodes[node].machine = machine
    switch result {
    case .success(let actions):
      execute(actions, from: node)
      rearm(node)
    case .failure(let refusal):
      outputs.append(.refused(time: now, node: node, message: refusal.message))
    }
  }

  private mutating func handle(
    _ node: Int, _ body: (inout ClusterStateMachine, ClusterTime) -> [ClusterAction]
  ) {
    guard var machine = nodes[node].machine else { return }
    let actions = body(&machine, now)
    nodes[node].machine = machine
    execute(actions, from: node)
    rearm(node)
  }

  private mutating func rearm(_ node: Int) {
    nodes[node].wakeGeneration += 1
    guard let deadline = nodes[node].machine?.nextDeadline else { return }
    schedule(at: max(deadline, now), .wake(node: node, generation: nodes[node].wakeGeneration))
  }

  private mutating func execute(_ actions: [ClusterAction], from node: Int) {
    for action in actions {
      switch action {
      case .sendHeartbeat(let message):
        let peer = 1 - node
        guard let epoch = nodes[peer].machine?.bootEpoch else { continue }
        let links: [HeartbeatMessage.Link] =
          configurations[node].hasLANHeartbeat ? [.control, .fabric, .lan] : [.control, .fabric]
        for link in links where !cut.contains(link) {
          var copy = message
          copy.link = link
          schedule(at: now + Self.linkLatency, .deliver(to: peer, message: copy, epoch: epoch))
        }
      case .emit(.groupStateChanged(let change)):
        outputs.append(.transition(time: now, node: node, change: change))
      case .emit(let event):
        outputs.append(.event(time: now, node: node, event: event))
      case .dataPlane(let action):
        outputs.append(.dataPlane(time: now, node: node, action: action))
      case .sendWitnessRequest(let request):
        guard !witnessCut.contains(node) else { continue }
        schedule(at: now + Self.linkLatency, .toWitness(request, from: node))
      case .sessionSync(let action):
        outputs.append(.sessionSync(time: now, node: node, action: action))
        if action.asksForBulkSync, let epoch = nodes[node].machine?.bootEpoch {
          schedule(at: now + Self.bulkSyncLatency, .bulkSync(node: node, epoch: epoch))
        }
      }
    }
  }
}
