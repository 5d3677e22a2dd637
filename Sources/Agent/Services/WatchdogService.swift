import ServiceLifecycle

/// Feeds systemd's watchdog from the driver's own executor, so a wedged driver stops the
/// pings; the SNMP thread is never involved.
struct WatchdogService: Service {
  let driver: ClusterDriver

  func run() async throws {
    guard let interval = SystemdNotifier.watchdogInterval() else {
      try? await gracefulShutdown()
      return
    }
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
      _ = await driver.now
      SystemdNotifier.notify("WATCHDOG=1")
      try? await Task.sleep(for: interval / 3)
    }
  }
}
