import Logging
import ServiceLifecycle

/// A monitor that feeds the driver from a thread of its own (netlink, ICMP).
protocol MonitorThread: Sendable {
  func start(inputs: DriverInputs, logger: Logger)
  /// Tells the thread to stop and waits for it.
  func stop()
}

/// Interface or IP monitoring: its thread, from start to a joined stop.
struct MonitorService<Monitor: MonitorThread>: Service {
  let monitor: Monitor
  let inputs: DriverInputs
  let logger: Logger

  func run() async throws {
    monitor.start(inputs: inputs, logger: logger)
    try? await gracefulShutdown()
    monitor.stop()
  }
}

extension InterfaceMonitorThread: MonitorThread {}
extension IPMonitorThread: MonitorThread {}
