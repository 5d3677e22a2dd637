import Cluster
import Logging
import NIOPosix
import ServiceLifecycle

/// The Prometheus endpoint (`set chassis cluster metrics listen`), when configured: on a loop
/// of its own, so a slow scraper never delays a heartbeat or a `ccctl` request. An address it
/// cannot bind (in use, not on this host) is retried, never fatal: a metrics port must not
/// take a cluster node down.
struct MetricsService: Service {
  static let retryInterval = Duration.seconds(10)

  let driver: ClusterDriver
  let store: SnapshotStore
  let logger: Logger

  func run() async throws {
    guard let address = await driver.configuration.configuration.metricsListen else {
      try? await gracefulShutdown()
      return
    }
    let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let store = self.store
    var server: MetricsServer?
    var failures = 0
    while server == nil && !Task.isShuttingDownGracefully && !Task.isCancelled {
      do {
        server = try await MetricsServer.open(address: address, group: loop) {
          ClusterMetrics.render(store.latest?.snapshot, version: ccagentVersion)
        }
        logger.info(
          "metrics: serving http://\(address)/metrics", metadata: ["METRICS_LISTEN": "\(address)"])
      } catch {
        // Once in the journal, not every ten seconds.
        failures += 1
        logger.log(
          level: failures == 1 ? .error : .debug,
          "metrics: cannot listen on \(address): \(error); retrying every \(Self.retryInterval)",
          metadata: ["METRICS_LISTEN": "\(address)"])
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.retryInterval) }
      }
    }
    try? await gracefulShutdown()
    await server?.close()
    try? await loop.shutdownGracefully()
  }
}
