import Cluster
import Logging

/// The core's data-plane and session-sync actions, carried out in the core's order on one
/// thread of their own ("ccagent-act"), so that neither a conntrackd commit (up to its
/// `commit-timeout`) nor netlink round trips hold up the driver: heartbeats keep going out and
/// datagrams keep being read. In a batch that takes an RG over, the commit runs first and the
/// reths come up after it, then the other conntrackd commands (`-f`, `-R`, `-B`) are handed to
/// the session-sync worker. Each commit's outcome comes back to the driver as an input.
final class ActionPipeline: Sendable {
  enum Job: Sendable {
    /// `ticket`: the reth's withdrawal count when the job was queued (`DataPlaneExecutor`).
    case dataPlane(DataPlaneAction, ticket: UInt64)
    case sessionSync(SessionSyncAction)
    /// The end of a batch with activations (`DataPlaneExecutor.takeTraffic`).
    case takeTraffic
  }

  /// Far more than a batch holds: reths and commands come a few per role change.
  static let capacity = 1024

  private let worker: SerialWorker<Job>

  /// - Parameter committed: runs on the pipeline's thread with each commit's outcome.
  init(
    dataPlane: any DataPlaneExecutor, sessionSync: (any SessionSyncExecutor)?,
    logger: Logger, committed: @escaping @Sendable (SessionCommit) -> Void
  ) throws {
    worker = try SerialWorker(
      name: "ccagent-act", capacity: Self.capacity,
      handle: { job in
        switch job {
        case .dataPlane(let action, let ticket):
          dataPlane.execute(action, ticket: ticket)
        case .sessionSync(let action):
          // A commit returns once done or timed out: the activations queued after it wait.
          if let commit = sessionSync?.execute(action) { committed(commit) }
        case .takeTraffic:
          dataPlane.takeTraffic()
        }
      },
      reportDropped: { dropped in
        logger.error(
          "data-plane and session-sync actions dropped: more than \(Self.capacity) were waiting",
          metadata: ["DROPPED": "\(dropped)"])
      })
  }

  func submit(_ job: Job) {
    worker.submit(job)
  }

  /// Carries out what is queued (the stop's own actions among them), then ends the thread.
  func stop() {
    worker.stop()
  }
}
