/// Where the cluster's witness (`ccwitnessd`, DESIGN §12) listens.
public struct WitnessEndpoint: Sendable, Equatable {
  public static let defaultPort = 7_402
  public var address: String
  public var port: Int

  public init(address: String, port: Int = WitnessEndpoint.defaultPort) {
    self.address = address
    self.port = port
  }
}

extension ClusterConfiguration {
  /// Both nodes have a `lan-address`: heartbeats also go over the LAN.
  public var hasLANHeartbeat: Bool {
    nodes.allSatisfy { $0.lanAddress != nil }
  }
}
