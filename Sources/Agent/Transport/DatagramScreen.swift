import Cluster
import NIOCore
import Synchronization

/// The receive path's half of the heartbeat protocol, shared by the socket thread and the
/// driver: each datagram is screened on the thread that read it (`HeartbeatScreen`); what
/// passes goes to the driver's network stream, what fails is counted here and taken by the
/// driver in one batch. The driver keeps the screen current: the replay floor after every
/// accepted message, the key, cluster-id and peer addresses on reload.
final class DatagramScreen: Sendable {
  private struct State {
    var screen: HeartbeatScreen
    var pending = RejectedDatagrams()
  }

  private let state: Mutex<State>
  private let inputs: DriverInputs

  init(_ screen: HeartbeatScreen, inputs: DriverInputs) {
    state = Mutex(State(screen: screen))
    self.inputs = inputs
  }

  func receive(_ bytes: [UInt8], link: HeartbeatMessage.Link, from address: SocketAddress) {
    // A copy of the screen: the HMAC is computed outside the lock.
    let screen = state.withLock { $0.screen }
    let source = PacketSource(address)
    let verdict: HeartbeatScreen.Verdict =
      source.map { screen.screen(bytes, link: link, source: $0) }
      ?? .rejected(.unexpectedSource(expected: screen.sources.address(for: link), link: link))
    switch verdict {
    case .accepted(let message):
      inputs.yield(.message(message, source: address.ipAddress ?? "unknown"))
    case .rejected(let reason):
      let first = state.withLock { state in
        defer {
          if state.pending.wantsSample {
            state.pending.add(
              DatagramRejection(
                link: link, source: address.ipAddress ?? "unknown", reason: reason.description),
              unexpectedSource: reason.isUnexpectedSource)
          } else {
            state.pending.count(on: link, unexpectedSource: reason.isUnexpectedSource)
          }
        }
        return state.pending.isEmpty
      }
      if first { inputs.yield(.rejections) }
    }
  }

  /// What was refused since the last call.
  func takeRejections() -> RejectedDatagrams {
    state.withLock { state in
      defer { state.pending = RejectedDatagrams() }
      return state.pending
    }
  }

  func update(replayFloor: ReplayGuard) {
    state.withLock { $0.screen.replayFloor = replayFloor }
  }

  func update(codec: HeartbeatCodec, clusterID: UInt8, sources: PeerSources) {
    state.withLock {
      $0.screen.codec = codec
      $0.screen.clusterID = clusterID
      $0.screen.sources = sources
    }
  }
}

extension PacketSource {
  /// nil for a UNIX address (never on a UDP socket).
  init?(_ address: SocketAddress) {
    switch address {
    case .v4(let v4):
      self.init(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
    case .v6(let v6):
      var in6 = v6.address.sin6_addr
      self = withUnsafeBytes(of: &in6) { PacketSource(ipv6: $0) }
    case .unixDomainSocket:
      return nil
    }
  }
}
