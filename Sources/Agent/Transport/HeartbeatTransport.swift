import Cluster
import NIOCore
import NIOPosix

/// UDP sockets for heartbeats (control link) and probes (fabric link), DESIGN §4, and the LAN
/// heartbeat when both nodes have a `lan-address` (DESIGN §12): NIO channels receive on the
/// configured ports; `UDPSender`s send (see there for why not NIO).
final class HeartbeatTransport: Sendable {
  private let control: Channel
  private let fabric: Channel
  private let controlSender: UDPSender
  private let fabricSender: UDPSender
  private let lan: (channel: Channel, sender: UDPSender)?
  /// The links every heartbeat goes out on.
  let links: [HeartbeatMessage.Link]

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func open(
    configuration: ClusterConfiguration, localNode: Int, group: EventLoopGroup,
    screen: DatagramScreen
  ) async throws -> HeartbeatTransport {
    let peer = 1 - localNode
    func address(_ host: String?, _ port: Int, _ what: String) throws -> SocketAddress {
      guard let host else { throw Failure(description: "\(what) is not configured") }
      do {
        return try SocketAddress(ipAddress: host, port: port)
      } catch {
        throw Failure(description: "\(what) \(host): \(error)")
      }
    }
    let nodes = configuration.nodes
    let controlLocal = try address(
      nodes[localNode].controlAddress, configuration.controlPort, "control-address")
    let fabricLocal = try address(
      nodes[localNode].fabricAddress, configuration.fabricPort, "fabric-address")
    let controlSender = try UDPSender(
      localAddress: nodes[localNode].controlAddress ?? "",
      peerAddress: nodes[peer].controlAddress ?? "",
      peerPort: configuration.controlPort)
    let fabricSender = try UDPSender(
      localAddress: nodes[localNode].fabricAddress ?? "",
      peerAddress: nodes[peer].fabricAddress ?? "",
      peerPort: configuration.fabricPort)

    func bind(_ local: SocketAddress, link: HeartbeatMessage.Link) async throws -> Channel {
      do {
        // No SO_REUSEADDR: another local socket must not be able to co-bind the port and take
        // the heartbeats (issue 13 item 6). NIO reads 2048 bytes a datagram by default, less
        // than the largest valid heartbeat (129 RGs with large counters, item 18).
        return try await DatagramBootstrap(group: group)
          // A flood is read in batches (recvmmsg), not one wake-up a datagram; NIO splits the
          // allocator's buffer into one slice a message.
          .channelOption(
            .recvAllocator,
            value: FixedSizeRecvByteBufferAllocator(
              capacity: DatagramReceiver.readLimit * DatagramReceiver.batch)
          )
          .channelOption(.datagramVectorReadMessageCount, value: DatagramReceiver.batch)
          .channelOption(.maxMessagesPerRead, value: 8)
          .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
              try channel.pipeline.syncOperations.addHandler(
                DatagramReceiver(link: link, screen: screen))
            }
          }
          .bind(to: local).get()
      } catch {
        throw Failure(description: "cannot bind the \(link) link to \(local): \(error)")
      }
    }
    let control = try await bind(controlLocal, link: .control)
    let fabric = try await bind(fabricLocal, link: .fabric)
    for channel in [control, fabric] { await enlargeReceiveBuffer(channel) }
    var lan: (Channel, UDPSender)?
    if configuration.hasLANHeartbeat, let local = nodes[localNode].lanAddress,
      let remote = nodes[peer].lanAddress
    {
      let sender = try UDPSender(
        localAddress: local, peerAddress: remote, peerPort: configuration.lanPort)
      let lanLocal = try address(local, configuration.lanPort, "lan-address")
      let channel = try await bind(lanLocal, link: .lan)
      await enlargeReceiveBuffer(channel)
      lan = (channel, sender)
    }
    return HeartbeatTransport(
      control: control, fabric: fabric, controlSender: controlSender, fabricSender: fabricSender,
      lan: lan)
  }

  /// While this thread waits for a core under a flood, the socket buffer is what keeps the
  /// peer's next heartbeat: 4 MB (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which the unit grants;
  /// without it the kernel's rmem_max applies).
  private static func enlargeReceiveBuffer(_ channel: Channel) async {
    let size = SocketOptionValue(4 << 20)
    do {
      try await channel.setOption(.socketOption(.init(rawValue: SO_RCVBUFFORCE)), value: size)
        .get()
    } catch {
      _ = try? await channel.setOption(.socketOption(.so_rcvbuf), value: size).get()
    }
  }

  private init(
    control: Channel, fabric: Channel, controlSender: UDPSender, fabricSender: UDPSender,
    lan: (channel: Channel, sender: UDPSender)?
  ) {
    self.control = control
    self.fabric = fabric
    self.controlSender = controlSender
    self.fabricSender = fabricSender
    self.lan = lan
    self.links = lan == nil ? [.control, .fabric] : [.control, .fabric, .lan]
  }

  /// A down link makes sends fail (ENETUNREACH…): that is not an error here, the missing
  /// heartbeats are what the peer measures.
  func send(_ bytes: [UInt8], on link: HeartbeatMessage.Link) {
    switch link {
    case .control: controlSender.send(bytes)
    case .fabric: fabricSender.send(bytes)
    case .lan: lan?.sender.send(bytes)
    }
  }

  func close() async {
    try? await control.close()
    try? await fabric.close()
    try? await lan?.channel.close()
    controlSender.close()
    fabricSender.close()
    lan?.sender.close()
  }
}

final class DatagramReceiver: ChannelInboundHandler, Sendable {
  typealias InboundIn = AddressedEnvelope<ByteBuffer>
  /// One byte more than the largest valid heartbeat, so an oversized datagram arrives longer
  /// than any valid one (and is rejected) instead of being cut to a valid-looking length.
  static let readLimit = HeartbeatCodec.maximumMessageSize + 1
  /// Datagrams read with one recvmmsg.
  static let batch = 16
  let link: HeartbeatMessage.Link
  let screen: DatagramScreen

  init(link: HeartbeatMessage.Link, screen: DatagramScreen) {
    self.link = link
    self.screen = screen
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let envelope = unwrapInboundIn(data)
    var buffer = envelope.data
    // Anything longer than a datagram we could have sent is garbage; cap what we copy.
    let bytes = buffer.readBytes(length: min(buffer.readableBytes, Self.readLimit)) ?? []
    screen.receive(bytes, link: link, from: envelope.remoteAddress)
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    // ICMP errors (port unreachable while the peer is down) surface here; they are expected.
  }
}
