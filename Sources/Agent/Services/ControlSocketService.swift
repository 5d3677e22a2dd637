import ServiceLifecycle

/// The control socket (`ccctl`): open from start-up, closed on stop before the monitors.
struct ControlSocketService: Service {
  let server: ControlSocketServer

  func run() async throws {
    try? await gracefulShutdown()
    await server.close()
  }
}
