import Cluster
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// `/run/ccagent/ccagent.sock`: one JSON request per line, one JSON response per line.
/// Anyone who can open the socket (its group) may read; changing state needs root or the
/// configured admin group, checked with SO_PEERCRED (DESIGN §6).
///
/// Bounded against clients that misbehave: at most `maxConnections` at once, closed after
/// `idleTimeout` without a request, and closed when their unread replies pass the write
/// buffer's high-water mark (a client that sent requests and never read grew the agent by
/// tens of megabytes).
final class ControlSocketServer: Sendable {
  static let maxConnections = 32
  static let idleTimeout = TimeAmount.seconds(60)
  static let outputLimit = ChannelOptions.Types.WriteBufferWaterMark(
    low: 64 * 1024, high: 256 * 1024)

  private let channel: Channel
  private let shared: Shared

  /// What every connection reads: the admin group (a reload changes it) and the count.
  final class Shared: Sendable {
    let adminGroup: Mutex<String?>
    let bounds = ConnectionBounds(maxConnections: maxConnections, idleTimeout: idleTimeout)
    init(adminGroup: String?) { self.adminGroup = Mutex(adminGroup) }
  }

  static func open(
    path: String, adminGroup: String?, group: EventLoopGroup, driver: ClusterDriver,
    store: SnapshotStore
  ) async throws -> ControlSocketServer {
    makeDirectories(parentDirectory(of: path))
    unlink(path)
    let shared = Shared(adminGroup: adminGroup)
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 16)
      .childChannelOption(.writeBufferWaterMark, value: outputLimit)
      .childChannelInitializer { child in
        child.eventLoop.makeCompletedFuture {
          guard try shared.bounds.admit(child) else { return }
          try child.pipeline.syncOperations.addHandler(
            ControlConnectionHandler(driver: driver, store: store, shared: shared))
        }
      }
      .bind(unixDomainSocketPath: path).get()
    // Group-readable: the Debian package creates a `ccagent` group for operators.
    chmod(path, 0o660)
    if let entry = getgrnam("ccagent") {
      chown(path, uid_t(bitPattern: -1), entry.pointee.gr_gid)
    }
    return ControlSocketServer(channel: channel, shared: shared)
  }

  private init(channel: Channel, shared: Shared) {
    self.channel = channel
    self.shared = shared
  }

  /// A reload's admin group, for the requests that follow.
  func update(adminGroup: String?) {
    shared.adminGroup.withLock { $0 = adminGroup }
  }

  /// Connections open now.
  var connectionCount: Int { shared.bounds.count }

  func close() async {
    try? await channel.close()
  }
}

private final class ControlConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  let driver: ClusterDriver
  let store: SnapshotStore
  let shared: ControlSocketServer.Shared
  // Only touched on the channel's event loop.
  private var pending: [UInt8] = []
  private var credentials: PeerCredentials?

  init(driver: ClusterDriver, store: SnapshotStore, shared: ControlSocketServer.Shared) {
    self.driver = driver
    self.store = store
    self.shared = shared
  }

  func channelActive(context: ChannelHandlerContext) {
    let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
    if let provider = context.channel as? SocketOptionProvider {
      // PeerCredentials has `struct ucred`'s layout, so NIO can read SO_PEERCRED into it.
      let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
        level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
      future.whenSuccess { loopBound.value.credentials = $0 }
    }
    context.fireChannelActive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = unwrapInboundIn(data)
    pending += buffer.readBytes(length: buffer.readableBytes) ?? []
    guard pending.count <= 65536 else {
      context.close(promise: nil)
      return
    }
    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
      // Replies it has not read pass the high-water mark: a client that only writes.
      guard context.channel.isWritable else {
        pending.removeAll()
        context.close(promise: nil)
        return
      }
      let line = String(decoding: pending[..<newline], as: UTF8.self)
      pending.removeSubrange(...newline)
      handle(line, context: context)
    }
  }

  private func handle(_ line: String, context: ChannelHandlerContext) {
    let request: ControlRequest
    do {
      request = try JSONView.decode(ControlRequest.self, from: line)
    } catch {
      reply(ControlResponse(ok: false, error: "malformed request: \(error)"), context: context)
      return
    }
    if request.command == .show {
      reply(Self.show(request.view ?? .status, store: store), context: context)
      return
    }
    let uid = credentials?.uid ?? UInt32.max
    let gid = credentials?.gid ?? UInt32.max
    let adminGroup = shared.adminGroup.withLock { $0 }
    guard
      uid == 0
        || (adminGroup.map { PeerCredentials.isMember(uid: uid, gid: gid, ofGroup: $0) } ?? false)
    else {
      reply(
        ControlResponse(
          ok: false,
          error: "permission denied: requests need root"
            + (adminGroup.map { " or membership of group \($0)" } ?? "")),
        context: context)
      return
    }
    let promise = context.eventLoop.makePromise(of: ControlResponse.self)
    let driver = self.driver
    promise.completeWithTask { await driver.request(request, uid: uid) }
    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    promise.futureResult.whenSuccess { response in
      loopBound.value.0.reply(response, context: loopBound.value.1)
    }
  }

  static func show(_ view: ControlRequest.View, store: SnapshotStore) -> ControlResponse {
    guard let published = store.latest else {
      return ControlResponse(ok: false, error: "the agent is starting")
    }
    let snapshot = published.snapshot
    var response = ControlResponse(ok: true)
    switch view {
    case .status:
      response.text = StatusView.status(snapshot)
      response.status = snapshot.status
    case .information:
      response.text = StatusView.information(snapshot) { time in
        WallClockFormat.format(milliseconds: published.startedAtWallClock + time.milliseconds)
      }
      response.information = InformationData(snapshot)
    case .interfaces:
      response.text = StatusView.interfaces(snapshot, configuration: published.configuration)
      response.interfaces = InterfacesData(snapshot)
    case .statistics:
      response.text = StatusView.statistics(snapshot)
      response.statistics = snapshot.statistics
    }
    return response
  }

  private func reply(_ response: ControlResponse, context: ChannelHandlerContext) {
    let text = JSONView.encode(response) + "\n"
    context.writeAndFlush(
      wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
  }
}

enum WallClockFormat {
  /// `Nov 21 08:12:03` in local time, as Junos prints history times.
  static func format(milliseconds: Int64) -> String {
    var seconds = time_t(milliseconds / 1000)
    var parts = tm()
    localtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let count = strftime(&buffer, buffer.count, "%b %d %H:%M:%S", &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
