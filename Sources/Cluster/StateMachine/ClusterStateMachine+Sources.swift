extension ClusterStateMachine {
  /// Whether `source` is the peer's configured address for `link`: its control-address for
  /// heartbeats, its fabric-address for probes (DESIGN §4), its lan-address for the LAN
  /// heartbeat (DESIGN §12). Compared as addresses, so any spelling of the same IPv6 address
  /// matches.
  public func isPeerAddress(_ source: String, for link: HeartbeatMessage.Link) -> Bool {
    peerSources.matches(source, on: link)
  }

  public var peerSources: PeerSources {
    PeerSources(configuration: configuration, localNode: localNode)
  }

  /// The replay guard as of the last accepted message (the receive path's floor).
  public var replayFloor: ReplayGuard { replay }

  /// What the receive path refused since the driver last looked: counted on their links and
  /// reported (a sample; the shell rate-limits), with no evaluation.
  public mutating func datagramsRejected(_ batch: RejectedDatagrams, now: ClusterTime)
    -> [ClusterAction]
  {
    for (link, count) in batch.unexpectedSources {
      switch link {
      case .control: control.sourceRejected &+= count
      case .fabric: fabric.sourceRejected &+= count
      case .lan: lan.sourceRejected &+= count
      }
    }
    for (link, count) in batch.errors {
      switch link {
      case .control: control.errors &+= count
      case .fabric: fabric.errors &+= count
      case .lan: lan.errors &+= count
      }
    }
    return batch.samples.map {
      .emit(.datagramRejected(link: $0.link, source: $0.source, reason: $0.reason))
    }
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
    let reason = RejectionReason.unexpectedSource(
      expected: peerSources.address(for: link), link: link)
    return datagramRejected(link: link, source: source, reason: "\(reason)", now: now)
  }
}
