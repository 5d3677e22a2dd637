import Cluster
import Journal
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: reload the configuration; a bad file is reported and the running one kept. The
/// signal sequence is made before READY=1 (its handler is installed then), so a SIGHUP right
/// after start-up is a reload, not the default disposition's death.
struct ReloadService: Service {
  let runtime: AgentRuntime
  let hangups: UnixSignalsSequence
  let path: String
  let node: Int?
  let controlSocket: String?
  let agentXSocket: String?
  let logger: Logger

  func run() async throws {
    for await _ in hangups.cancelOnGracefulShutdown() {
      let current = await runtime.driver.configuration
      do {
        let new = try ConfigurationLoader.load(
          path: path, node: node ?? current.localNode, controlSocket: controlSocket,
          agentXSocket: agentXSocket)
        guard new.localNode == current.localNode else {
          throw ConfigurationLoadError(lines: ["\(path): the node id cannot change on reload"])
        }
        try await runtime.reload(new, replacing: current)
      } catch {
        runtime.events.log(
          EventCatalog.configReloadFailed(
            path: path, error: "\(error)", context: EventContext(current)))
      }
    }
  }
}

/// The first service the group stops (it is listed last): records that the agent is
/// stopping and tells systemd, before the other services wind down.
struct StopAnnouncementService: Service {
  let runtime: AgentRuntime

  func run() async throws {
    try? await gracefulShutdown()
    SystemdNotifier.notify("STOPPING=1")
    runtime.events.log(EventCatalog.agentStopping(context: runtime.events.currentContext))
  }
}
