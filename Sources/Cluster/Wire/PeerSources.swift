/// The peer's configured address on each link: the only source a heartbeat is heard from
/// (DESIGN §4; issue 13 item 2). Its control-address for heartbeats, its fabric-address for
/// probes, its lan-address for the LAN heartbeat (DESIGN §12).
public struct PeerSources: Sendable, Equatable {
  public var control: String?
  public var fabric: String?
  public var lan: String?
  /// The same, parsed once.
  private var parsed: [HeartbeatMessage.Link: PacketSource] = [:]

  public init(configuration: ClusterConfiguration, localNode: Int) {
    let peer = configuration.nodes[1 - localNode]
    control = peer.controlAddress
    fabric = peer.fabricAddress
    lan = peer.lanAddress
    for link in [HeartbeatMessage.Link.control, .fabric, .lan] {
      parsed[link] = address(for: link).flatMap(PacketSource.init(text:))
    }
  }

  public func address(for link: HeartbeatMessage.Link) -> String? {
    switch link {
    case .control: control
    case .fabric: fabric
    case .lan: lan
    }
  }

  /// Compared as addresses, so any spelling of the same IPv6 address matches.
  public func matches(_ source: String, on link: HeartbeatMessage.Link) -> Bool {
    PacketSource(text: source).map { matches($0, on: link) } ?? false
  }

  public func matches(_ source: PacketSource, on link: HeartbeatMessage.Link) -> Bool {
    parsed[link] == source
  }
}
