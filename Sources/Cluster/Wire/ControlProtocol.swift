/// The control socket's protocol: one JSON request per line, one JSON response per line.
/// Shared by `ccagentd` and `ccctl`, so both ends always agree on the schema.
public struct ControlRequest: Codable, Sendable, Equatable {
  public enum Command: String, Codable, Sendable {
    case show
    case failover
    case failoverReset = "failover-reset"
    case clearFailoverCount = "clear-failover-count"
  }

  public enum View: String, Codable, Sendable, CaseIterable {
    case status
    case information
    case interfaces
    case statistics
  }

  public var command: Command
  public var view: View?
  public var group: Int?
  public var node: Int?

  public init(command: Command, view: View? = nil, group: Int? = nil, node: Int? = nil) {
    self.command = command
    self.view = view
    self.group = group
    self.node = node
  }
}

public struct ControlResponse: Codable, Sendable, Equatable {
  public var ok: Bool
  public var error: String?
  /// The Junos-like text view.
  public var text: String?
  /// `show status --json`: the same schema as `ccctl simulate --json` status objects.
  public var status: ClusterStatus?
  public var information: InformationData?
  public var interfaces: InterfacesData?
  public var statistics: LinkStatistics?
  public var message: String?

  public init(ok: Bool, error: String? = nil, text: String? = nil, message: String? = nil) {
    self.ok = ok
    self.error = error
    self.text = text
    self.message = message
  }
}

/// `show information --json`.
public struct InformationData: Codable, Sendable, Equatable {
  public struct Group: Codable, Sendable, Equatable {
    public var id: Int
    public var state: RedundancyGroupState
    public var weight: Int
    public var monitorFailures: [String]
    public var manualFailoverNode: Int?
    public var lastFailoverReason: String?
    public var history: [Transition]
  }

  public struct Transition: Codable, Sendable, Equatable {
    public var uptimeMilliseconds: Int64
    public var from: RedundancyGroupState
    public var to: RedundancyGroupState
    public var reason: String
  }

  public var localNode: Int
  public var peer: PeerStatus
  public var controlLink: ClusterLinkStatus
  public var fabricLink: ClusterLinkStatus
  public var splitBrainActive: [Int]
  public var splitBrainCount: Int
  public var groups: [Group]
  /// "hmac-sha256", or "none" with `authentication none`.
  public var authentication: String
  /// What the operator must know, such as running unauthenticated.
  public var warnings: [String]
  /// nil without a LAN heartbeat / a witness (DESIGN §12).
  public var lanLink: ClusterLinkStatus?
  public var witness: WitnessStatus?

  public init(_ s: ClusterSnapshot) {
    authentication = s.authenticated ? "hmac-sha256" : "none"
    warnings = s.authenticated ? [] : [DaemonRequirements.unauthenticatedWarning]
    localNode = s.status.localNode
    peer = s.status.peer
    controlLink = s.status.controlLink
    fabricLink = s.status.fabricLink
    lanLink = s.status.lanLink
    witness = s.witness
    splitBrainActive = s.splitBrain.active
    splitBrainCount = s.splitBrain.count
    groups = s.groups.map { g in
      Group(
        id: g.id,
        state: s.status.redundancyGroups.first { $0.id == g.id }?.nodes[s.status.localNode].status
          ?? .hold,
        weight: g.weight, monitorFailures: g.failureCodes.abbreviations,
        manualFailoverNode: g.manualTarget, lastFailoverReason: g.lastFailoverReason,
        history: g.history.map {
          Transition(
            uptimeMilliseconds: $0.time.milliseconds, from: $0.from, to: $0.to, reason: $0.reason)
        })
    }
  }
}

/// `show interfaces --json`.
public struct InterfacesData: Codable, Sendable, Equatable {
  public var controlLink: ClusterLinkStatus
  public var fabricLink: ClusterLinkStatus
  public var redundantEthernets: [RedundantEthernetStatus]
  public var interfaceMonitors: [InterfaceMonitorStatus]
  public var ipMonitors: [IPMonitorStatus]

  public init(_ s: ClusterSnapshot) {
    controlLink = s.status.controlLink
    fabricLink = s.status.fabricLink
    redundantEthernets = s.redundantEthernets
    interfaceMonitors = s.interfaceMonitors
    ipMonitors = s.ipMonitors
  }
}
