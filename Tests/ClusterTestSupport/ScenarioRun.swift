import Cluster

// The release build compiles this target too (`swift build` builds every target), and the
// static stdlib it links has no Testing module: only the reporting needs it.
#if canImport(Testing)
  import Testing
#endif

/// Runs a scenario text through the real state machines (`Simulator`) and gives tests the
/// transitions, events, snapshots and status views to check, plus the dual-primary invariant
/// sampled after every simulated instant.
public struct ScenarioRun: Sendable {
  /// The scenario's configuration (both nodes', unless `configurations` differ).
  public let configuration: ClusterConfiguration
  public let outputs: [Simulator.Output]
  /// Instants at which an RG was primary on both nodes while a link between them was up.
  public let dualPrimaryWhileConnected: [(ClusterTime, Int)]
  /// Every instant at which an RG was primary on both nodes, whatever the links: with a
  /// witness (DESIGN §12) there must be none.
  public let dualPrimary: [(ClusterTime, Int)]

  #if canImport(Testing)
    /// A scenario that does not parse is recorded as an issue at the caller's line.
    public init(
      _ text: String, file: String = "test.scenario",
      configurations: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
      self.init(text, file: file, configurations: configurations) { message in
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
      }
    }
  #endif

  /// `reportFailure` receives what went wrong when the scenario does not parse.
  init(
    _ text: String, file: String, configurations: [String]?,
    reportFailure: (String) -> Void
  ) {
    let scenario: Scenario
    switch ScenarioParser.parse(text, file: file) {
    case .success(let parsed): scenario = parsed
    case .failure(.invalid(let diagnostics)):
      reportFailure("scenario does not parse: \(diagnostics)")
      configuration = ClusterConfiguration(clusterID: 1)
      outputs = []
      dualPrimaryWhileConnected = []
      dualPrimary = []
      return
    }
    configuration = scenario.configuration
    let perNode = configurations?.map { text -> ClusterConfiguration in
      let result = ConfigurationParser.parse(text, file: "node.conf")
      return result.configuration!
    }
    var violations: [(ClusterTime, Int)] = []
    var anyTime: [(ClusterTime, Int)] = []
    // A link counts as connected only after it has been intact for a detection window.
    let links: [HeartbeatMessage.Link] =
      scenario.configuration.hasLANHeartbeat ? [.control, .fabric, .lan] : [.control, .fabric]
    var intactSince: [HeartbeatMessage.Link: ClusterTime] = [:]
    for link in links { intactSince[link] = .zero }
    let window = scenario.configuration.linkFailureTimeout + .milliseconds(50)
    outputs = Simulator.run(scenario, configurations: perNode) { moment in
      if let a = moment.states[0], let b = moment.states[1] {
        for (id, state) in a where state == .primary && b[id] == .primary {
          anyTime.append((moment.time, id))
        }
      }
      for link in links {
        if moment.cut.contains(link) {
          intactSince[link] = nil
        } else if intactSince[link] == nil {
          intactSince[link] = moment.time
        }
      }
      let connected = intactSince.values.contains { moment.time - $0 >= window }
      guard connected, let a = moment.states[0], let b = moment.states[1] else { return }
      for (id, state) in a where state == .primary && b[id] == .primary {
        violations.append((moment.time, id))
      }
    }
    dualPrimaryWhileConnected = violations
    dualPrimary = anyTime
  }

  public var transitions: [(time: ClusterTime, node: Int, change: GroupStateChange)] {
    outputs.compactMap {
      if case .transition(let time, let node, let change) = $0 { return (time, node, change) }
      return nil
    }
  }

  public func transitions(node: Int, group: Int) -> [String] {
    transitions.filter { $0.node == node && $0.change.group == group }.map {
      "\($0.change.from) -> \($0.change.to)"
    }
  }

  public var events: [(time: ClusterTime, node: Int, event: ClusterEvent)] {
    outputs.compactMap {
      if case .event(let time, let node, let event) = $0 { return (time, node, event) }
      return nil
    }
  }

  public func events(named name: String) -> [(time: ClusterTime, node: Int, event: ClusterEvent)] {
    events.filter { $0.event.name == name }
  }

  public var refusals: [String] {
    outputs.compactMap {
      if case .refused(_, _, let message) = $0 { return message }
      return nil
    }
  }

  /// The `index`-th `status` step's snapshot of `node`.
  public func snapshot(_ index: Int, node: Int) -> ClusterSnapshot? {
    let snapshots = outputs.compactMap { output -> ClusterSnapshot?? in
      if case .status(_, let n, let snapshot) = output, n == node { return snapshot }
      return nil
    }
    return index < snapshots.count ? snapshots[index] : nil
  }

  /// The `index`-th `status` step's status of `node`.
  public func status(_ index: Int, node: Int) -> ClusterStatus? {
    snapshot(index, node: node)?.status
  }

  /// Every event of `node`, state changes included, in order.
  public func events(node: Int) -> [(time: ClusterTime, event: ClusterEvent)] {
    outputs.compactMap {
      switch $0 {
      case .transition(let time, let n, let change) where n == node:
        (time, .groupStateChanged(change))
      case .event(let time, let n, let event) where n == node: (time, event)
      default: nil
      }
    }
  }

  public func row(_ index: Int, node: Int, group: Int, of row: Int) -> NodeGroupStatus? {
    status(index, node: node)?.redundancyGroups.first { $0.id == group }?.nodes[row]
  }

  public func primary(_ index: Int, group: Int) -> Int? {
    status(index, node: 0)?.redundancyGroups.first { $0.id == group }?.primaryNode
  }

  public func failoverCount(_ index: Int, node: Int, group: Int) -> Int? {
    status(index, node: node)?.redundancyGroups.first { $0.id == group }?.failoverCount
  }
}

/// A two-RG configuration most scenarios start from; `extra` adds statements.
public func baseConfiguration(_ extra: String = "") -> String {
  """
  set chassis cluster cluster-id 1
  set chassis cluster heartbeat-interval 1000
  set chassis cluster heartbeat-threshold 3
  set chassis cluster redundancy-group 0 node 0 priority 200
  set chassis cluster redundancy-group 0 node 1 priority 100
  set chassis cluster redundancy-group 1 node 0 priority 150
  set chassis cluster redundancy-group 1 node 1 priority 100
  set chassis cluster redundancy-group 1 interface-monitor eth1 weight 255
  \(extra)

  """
}
