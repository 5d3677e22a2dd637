import Cluster
import ClusterTestSupport

/// Two state machines joined by perfect links, driven event by event in virtual time: for tests
/// that check what one event does to the pair (direct event → action checks beside the
/// scenario runner). Heartbeats are delivered at once on both links unless a link is cut.
struct MachinePair {
  var nodes: [ClusterStateMachine]
  var now = ClusterTime.zero
  var cut: Set<HeartbeatMessage.Link> = []
  /// Node index → events it emitted, in order.
  var emitted: [[ClusterEvent]] = [[], []]
  /// Every heartbeat each node sent (control-link copies), in order.
  var sent: [[HeartbeatMessage]] = [[], []]
  /// Every session-sync action each node returned, in order.
  var sessionActions: [[SessionSyncAction]] = [[], []]
  /// Every data-plane action each node returned, in order.
  var dataPlane: [[DataPlaneAction]] = [[], []]
  /// Every batch each node returned, in order (to check the order within one).
  var batches: [[[ClusterAction]]] = [[], []]
  /// Nodes that are not running: not ticked, nothing delivered to them.
  var stopped: Set<Int> = []
  /// Nodes whose heartbeats are queued instead of delivered, until `release(from:)`: a message
  /// still in flight while the other node acts.
  var held: Set<Int> = []
  private var inFlight: [(from: Int, message: HeartbeatMessage)] = []

  /// `conntrackd`: the conntrackd file's text, applied as ccagentd applies it.
  init(configurations: [String], conntrackd: String? = nil) {
    nodes = (0...1).map { node in
      var configuration = ConfigurationParser.parse(configurations[node], file: "n.conf")
        .configuration!
      if let conntrackd {
        configuration = ConntrackdConfigCheck.applying(conntrackd, to: configuration)
      }
      return ClusterStateMachine(
        configuration: configuration, localNode: node, bootEpoch: UInt64(1000 + node),
        configDigest: ConfigurationDigest.digest(of: configuration))
    }
  }

  init(configuration: String, conntrackd: String? = nil) {
    self.init(configurations: [configuration, configuration], conntrackd: conntrackd)
  }

  /// `node` reloads `text` (SIGHUP).
  mutating func reload(_ node: Int, _ text: String) {
    let configuration = ConfigurationParser.parse(text, file: "n.conf").configuration!
    let actions = nodes[node].reconfigure(
      configuration, digest: ConfigurationDigest.digest(of: configuration), now: now)
    handle(actions, from: node)
  }

  /// `node`'s agent restarts with boot epoch `epoch`: a new machine, the same configuration.
  mutating func restart(_ node: Int, epoch: UInt64) {
    nodes[node] = ClusterStateMachine(
      configuration: nodes[node].configuration, localNode: node, bootEpoch: epoch,
      configDigest: nodes[node].configDigest)
    handle(nodes[node].start(now: now, interfaces: ["eth1": .up]), from: node)
  }

  /// What `node` makes of `message` arriving now (a replay, a forgery): its actions handled.
  @discardableResult
  mutating func inject(_ message: HeartbeatMessage, to node: Int) -> [ClusterAction] {
    let actions = nodes[node].messageReceived(message, now: now)
    handle(actions, from: node)
    return actions
  }

  func peerStatus(_ node: Int) -> PeerStatus {
    nodes[node].snapshot(now: now).status.peer
  }

  mutating func start() {
    for node in 0...1 {
      let actions = nodes[node].start(now: now, interfaces: ["eth1": .up])
      handle(actions, from: node)
    }
  }

  /// Feeds `actions` of `node`: sends go to the other node (recursively), events are kept.
  mutating func handle(_ actions: [ClusterAction], from node: Int) {
    if !actions.isEmpty { batches[node].append(actions) }
    for action in actions {
      switch action {
      case .emit(let event): emitted[node].append(event)
      case .dataPlane(let action): dataPlane[node].append(action)
      case .sendWitnessRequest: continue
      case .sessionSync(let action): sessionActions[node].append(action)
      case .sendHeartbeat(let message):
        sent[node].append(message)
        if held.contains(node) {
          inFlight.append((node, message))
        } else {
          deliver(message, from: node)
        }
      }
    }
  }

  private mutating func deliver(_ message: HeartbeatMessage, from node: Int) {
    for link in [HeartbeatMessage.Link.control, .fabric]
    where !cut.contains(link) && !stopped.contains(1 - node) {
      var copy = message
      copy.link = link
      let reply = nodes[1 - node].messageReceived(copy, now: now)
      handle(reply, from: 1 - node)
    }
  }

  /// Delivers what `node` sent while held, in order, and stops holding it.
  mutating func release(from node: Int) {
    held.remove(node)
    let queued = inFlight.filter { $0.from == node }
    inFlight.removeAll { $0.from == node }
    for item in queued {
      deliver(item.message, from: node)
    }
  }

  /// Advances virtual time in `step` increments, ticking both nodes at every step.
  mutating func run(for duration: Duration, step: Duration = .milliseconds(100)) {
    let end = now + duration
    while now < end {
      now = now + step
      for node in 0...1 where !stopped.contains(node) {
        let actions = nodes[node].tick(now: now)
        handle(actions, from: node)
      }
    }
  }

  func state(_ node: Int, group: Int) -> RedundancyGroupState {
    nodes[node].state(of: group, on: node)
  }

  /// RGs primary on both nodes now.
  var dualPrimaryGroups: [Int] {
    (0...128).filter { state(0, group: $0) == .primary && state(1, group: $0) == .primary }
  }

  func transitions(_ node: Int) -> [GroupStateChange] {
    emitted[node].compactMap {
      if case .groupStateChanged(let change) = $0 { return change }
      return nil
    }
  }
}

/// `baseConfiguration` with 100 ms heartbeats (so a second of virtual time is ten of them).
func pairConfiguration(_ extra: String = "") -> String {
  baseConfiguration("set chassis cluster heartbeat-interval 100\n" + extra)
}
