import ServiceLifecycle

/// Session sync (DESIGN §11): polls conntrackd for the driver while the agent runs. Listed
/// before the heartbeat service, so it stops after it: the stop's hand-over commands reach
/// conntrackd before the worker ends.
struct SessionSyncService: Service {
  let controller: SessionSyncController
  let inputs: DriverInputs

  func run() async throws {
    controller.start { report in inputs.yield(.sessionSync(report)) }
    try? await gracefulShutdown()
    controller.stop()
  }
}
