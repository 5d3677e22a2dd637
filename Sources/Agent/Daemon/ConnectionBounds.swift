import NIOCore
import Synchronization

/// What the agent's stream servers (control socket, metrics) share against clients that
/// misbehave: a cap on open connections and a close after an idle timeout.
final class ConnectionBounds: Sendable {
  let maxConnections: Int
  let idleTimeout: TimeAmount
  private let open = Atomic<Int>(0)

  init(maxConnections: Int, idleTimeout: TimeAmount) {
    self.maxConnections = maxConnections
    self.idleTimeout = idleTimeout
  }

  /// Connections open now.
  var count: Int { open.load(ordering: .relaxed) }

  /// Counts `child` while it is open; false (and `child` closed) past the cap. Otherwise adds
  /// the idle timeout to its pipeline, ahead of the protocol's handlers.
  func admit(_ child: Channel) throws -> Bool {
    let count = open.wrappingAdd(1, ordering: .relaxed).newValue
    child.closeFuture.whenComplete { _ in self.open.wrappingSubtract(1, ordering: .relaxed) }
    guard count <= maxConnections else {
      child.close(promise: nil)
      return false
    }
    try child.pipeline.syncOperations.addHandlers([
      IdleStateHandler(allTimeout: idleTimeout), CloseOnIdleHandler(),
    ])
    return true
  }
}

/// Closes the connection on IdleStateHandler's event.
final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
  typealias InboundIn = NIOAny

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      context.close(promise: nil)
      return
    }
    context.fireUserInboundEventTriggered(event)
  }
}
