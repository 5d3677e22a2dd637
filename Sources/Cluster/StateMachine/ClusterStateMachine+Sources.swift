extension ClusterStateMachine {
  /// Whether `source` is the peer's configured address for `link`: its control-address for
  /// heartbeats, its fabric-address for probes (DESIGN §4), its lan-address for the LAN
  /// heartbeat (DESIGN §12). Compared as addresses, so any spelling of the same IPv6 address
  /// matches.
  public func isPeerAddress(_ source: String, for link: HeartbeatMessage.Link) -> Bool {
    guard let expected = peerAddress(for: link) else { return false }
    let a = InetAddressText.parse(expected)
    let b = InetAddressText.parse(source)
    return !a.octets.isEmpty && a.type == b.type && a.octets == b.octets
  }

  /// A datagram from anywhere but the peer's address: dropped before it was decoded, counted
  /// on its link and reported (rate-limited by the shell), with no evaluation.
  public mutating func datagramFromUnexpectedSource(
    link: HeartbeatMessage.Link, source: String, now: ClusterTime
  ) -> [ClusterAction] {
    switch link {
    case .control: control.sourceRejected &+= 1
    case .fabric: fabric.sourceRejected &+= 1
    case .lan: lan.sourceRejected &+= 1
    }
    let expected = peerAddress(for: link) ?? "none"
    return datagramRejected(
      link: link, source: source, reason: "not from the peer's \(link) address \(expected)",
      now: now)
  }

  private func peerAddress(for link: HeartbeatMessage.Link) -> String? {
    let peer = configuration.nodes[peerNode]
    switch link {
    case .control: return peer.controlAddress
    case .fabric: return peer.fabricAddress
    case .lan: return peer.lanAddress
    }
  }
}
