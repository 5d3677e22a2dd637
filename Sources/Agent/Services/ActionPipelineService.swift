import ServiceLifecycle

/// The action pipeline (`ActionPipeline`). Listed after the data-plane and session-sync
/// services and before the heartbeat service, so it stops after the heartbeats (the stop's
/// own actions are queued by then) and before the services it hands work to.
struct ActionPipelineService: Service {
  let pipeline: ActionPipeline

  func run() async throws {
    try? await gracefulShutdown()
    pipeline.stop()
  }
}
