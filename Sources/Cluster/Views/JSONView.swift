import FoundationEssentials

/// JSON renderings shared by `ccctl simulate --json`, the control socket and `show … --json`.
public enum JSONView {
  public static func encode(_ value: some Encodable, pretty: Bool = false) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
  }

  /// One line of `simulate --json`.
  public static func line(_ output: Simulator.Output) -> String {
    switch output {
    case .transition(let time, let node, let change):
      return encode(
        TransitionLine(
          t_ms: time.milliseconds, type: "transition", node: node, rg: change.group,
          from: change.from.description, to: change.to.description, reason: change.reason,
          failoverCount: change.failoverCount))
    case .event(let time, let node, let event):
      return encode(
        EventLine(
          t_ms: time.milliseconds, type: "event", node: node, event: event.name, text: event.summary
        ))
    case .status(let time, let node, let snapshot):
      return encode(
        StatusLine(t_ms: time.milliseconds, type: "status", node: node, status: snapshot?.status))
    case .refused(let time, let node, let message):
      return encode(
        EventLine(
          t_ms: time.milliseconds, type: "refused", node: node, event: "request-refused",
          text: message))
    case .dataPlane(let time, let node, let action):
      return encode(
        EventLine(
          t_ms: time.milliseconds, type: "data-plane", node: node, event: action.kind,
          text: action.description))
    case .witness(let time, let event):
      return encode(
        EventLine(
          t_ms: time.milliseconds, type: "witness", node: event.node, event: event.name,
          text: event.description))
    case .sessionSync(let time, let node, let action):
      return encode(
        EventLine(
          t_ms: time.milliseconds, type: "session-sync", node: node, event: action.kind,
          text: action.description))
    }
  }

  struct TransitionLine: Encodable {
    var t_ms: Int64
    var type: String
    var node: Int
    var rg: Int
    var from: String
    var to: String
    var reason: String
    var failoverCount: Int
  }

  struct EventLine: Encodable {
    var t_ms: Int64
    var type: String
    var node: Int
    var event: String
    var text: String
  }

  struct StatusLine: Encodable {
    var t_ms: Int64
    var type: String
    var node: Int
    var status: ClusterStatus?
  }
}

extension Simulator.Output {
  /// The text form: `@12.003s node0 rg1 primary -> secondary-hold (monitor failure (IF))`.
  public var text: String {
    switch self {
    case .transition(let time, let node, let change):
      return
        "@\(time) node\(node) rg\(change.group) \(change.from) -> \(change.to) (\(change.reason))"
    case .event(let time, let node, let event):
      return "@\(time) node\(node) \(event.summary)"
    case .refused(let time, let node, let message):
      return "@\(time) node\(node) request refused: \(message)"
    case .dataPlane(let time, let node, let action):
      return "@\(time) node\(node) data plane: \(action)"
    case .witness(let time, let event):
      return "@\(time) witness: \(event)"
    case .sessionSync(let time, let node, let action):
      return "@\(time) node\(node) session sync: \(action)"
    case .status(let time, let node, let snapshot):
      guard let snapshot else { return "@\(time) node\(node): agent not running\n" }
      return "@\(time) node\(node):\n" + StatusView.status(snapshot)
    }
  }
}
