import Cluster
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus endpoint: `GET /metrics` answers 200 with the exposition of the latest
/// snapshot, rendered per scrape; any other path is 404 and any other method on /metrics 405.
///
/// Bounded like the control socket, since anyone who reaches the address may connect: at most
/// `maxConnections` at once, closed after `idleTimeout` without traffic, and a request body
/// (GET has none) past `maxBodyBytes` closes the connection. Malformed HTTP gets NIO's 400.
final class MetricsServer: Sendable {
  static let maxConnections = 16
  static let idleTimeout = TimeAmount.seconds(30)
  static let maxBodyBytes = 16 * 1024
  static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  private let channel: Channel
  let localAddress: SocketAddress?

  static func open(
    address: ListenAddress, group: EventLoopGroup, render: @escaping @Sendable () -> [UInt8]
  ) async throws -> MetricsServer {
    let bounds = ConnectionBounds(maxConnections: maxConnections, idleTimeout: idleTimeout)
    let bindAddress = try SocketAddress(ipAddress: address.host, port: address.port)
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 16)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { child in
        child.eventLoop.makeCompletedFuture {
          guard try bounds.admit(child) else { return }
          let pipeline = child.pipeline.syncOperations
          try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
          try pipeline.addHandler(MetricsRequestHandler(render: render))
        }
      }
      .bind(to: bindAddress).get()
    return MetricsServer(channel: channel)
  }

  private init(channel: Channel) {
    self.channel = channel
    self.localAddress = channel.localAddress
  }

  func close() async {
    try? await channel.close()
  }
}

/// One connection's requests, answered in order (NIO's pipelining handler keeps them so).
private final class MetricsRequestHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let render: @Sendable () -> [UInt8]
  // Only touched on the channel's event loop.
  private var head: HTTPRequestHead?
  private var bodyBytes = 0

  init(render: @escaping @Sendable () -> [UInt8]) {
    self.render = render
  }

  /// NIO's protocol error handler has answered 400 to malformed HTTP; closing is ours to do.
  func errorCaught(context: ChannelHandlerContext, error: Error) {
    context.close(promise: nil)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let request):
      head = request
      bodyBytes = 0
    case .body(let body):
      bodyBytes += body.readableBytes
      if bodyBytes > MetricsServer.maxBodyBytes {
        context.close(promise: nil)
      }
    case .end:
      guard let request = head else { return }
      head = nil
      respond(to: request, context: context)
    }
  }

  private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
    let route = MetricsRoute(method: request.method.rawValue, uri: request.uri)
    var headers = HTTPHeaders()
    let status = HTTPResponseStatus(statusCode: route.statusCode)
    let body: [UInt8]
    if let refusal = route.refusal {
      body = Array(refusal.body.utf8)
      for header in refusal.headers { headers.add(name: header.name, value: header.value) }
    } else {
      body = render()
      headers.add(name: "Content-Type", value: MetricsServer.contentType)
    }
    headers.add(name: "Content-Length", value: "\(body.count)")
    let keepAlive = request.isKeepAlive
    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
    context.write(
      wrapOutboundOut(
        .head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
      promise: nil)
    context.write(
      wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
      promise: nil)
    let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
    if !keepAlive {
      let channel = context.channel
      done.whenComplete { _ in channel.close(promise: nil) }
    }
  }
}
