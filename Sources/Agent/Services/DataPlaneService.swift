import ServiceLifecycle

/// The reth data plane (DESIGN §10). Listed before the heartbeat service, so it stops after
/// it: the handover is announced first, then every reth is taken down and its sysctls put back.
struct DataPlaneService: Service {
  let dataPlane: RethDataPlane

  func run() async throws {
    try? await gracefulShutdown()
    dataPlane.shutdown()
  }
}
