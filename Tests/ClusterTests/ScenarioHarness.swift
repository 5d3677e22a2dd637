import Cluster
import Testing

/// Runs a scenario text and gives tests the transitions, events and status views to check,
/// plus the dual-primary invariant sampled after every simulated instant.
struct ScenarioRun {
  let outputs: [Simulator.Output]
  /// Instants at which an RG was primary on both nodes while a link between them was up.
  let dualPrimaryWhileConnected: [(ClusterTime, Int)]

  init(
    _ text: String, file: String = "test.scenario",
    configurations: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let scenario: Scenario
    switch ScenarioParser.parse(text, file: file) {
    case .success(let parsed): scenario = parsed
    case .failure(.invalid(let diagnostics)):
      Issue.record("scenario does not parse: \(diagnostics)", sourceLocation: sourceLocation)
      outputs = []
      dualPrimaryWhileConnected = []
      return
    }
    let perNode = configurations?.map { text -> ClusterConfiguration in
      let result = ConfigurationParser.parse(text, file: "node.conf")
      return result.configuration!
    }
    var violations: [(ClusterTime, Int)] = []
    // A link counts as connected only after it has been intact for a detection window.
    var intactSince: [HeartbeatMessage.Link: ClusterTime] = [.control: .zero, .fabric: .zero]
    let window = scenario.configuration.linkFailureTimeout + .milliseconds(50)
    outputs = Simulator.run(scenario, configurations: perNode) { moment in
      for link in [HeartbeatMessage.Link.control, .fabric] {
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
  }

  var transitions: [(time: ClusterTime, node: Int, change: GroupStateChange)] {
    outputs.compactMap {
      if case .transition(let time, let node, let change) = $0 { return (time, node, change) }
      return nil
    }
  }

  func transitions(node: Int, group: Int) -> [String] {
    transitions.filter { $0.node == node && $0.change.group == group }.map {
      "\($0.change.from) -> \($0.change.to)"
    }
  }

  var events: [(time: ClusterTime, node: Int, event: ClusterEvent)] {
    outputs.compactMap {
      if case .event(let time, let node, let event) = $0 { return (time, node, event) }
      return nil
    }
  }

  func events(named name: String) -> [(time: ClusterTime, node: Int, event: ClusterEvent)] {
    events.filter { $0.event.name == name }
  }

  var refusals: [String] {
    outputs.compactMap {
      if case .refused(_, _, let message) = $0 { return message }
      return nil
    }
  }

  /// The `index`-th `status` step's snapshot of `node`.
  func status(_ index: Int, node: Int) -> ClusterStatus? {
    let snapshots = outputs.compactMap { output -> (Int, ClusterSnapshot?)? in
      if case .status(_, let n, let snapshot) = output { return (n, snapshot) }
      return nil
    }.filter { $0.0 == node }
    guard index < snapshots.count else { return nil }
    return snapshots[index].1?.status
  }

  func row(_ index: Int, node: Int, group: Int, of row: Int) -> NodeGroupStatus? {
    status(index, node: node)?.redundancyGroups.first { $0.id == group }?.nodes[row]
  }

  func primary(_ index: Int, group: Int) -> Int? {
    status(index, node: 0)?.redundancyGroups.first { $0.id == group }?.primaryNode
  }

  func failoverCount(_ index: Int, node: Int, group: Int) -> Int? {
    status(index, node: node)?.redundancyGroups.first { $0.id == group }?.failoverCount
  }
}

/// A two-RG configuration most scenarios start from; `extra` adds statements.
func baseConfiguration(_ extra: String = "") -> String {
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
