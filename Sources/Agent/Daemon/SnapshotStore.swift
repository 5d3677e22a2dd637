import Cluster
import Synchronization

/// The latest immutable snapshot, published by the driver after every event and read by the
/// control socket and the SNMP thread without waiting on the driver.
final class SnapshotStore: Sendable {
  private let state: Mutex<Published?> = Mutex(nil)

  struct Published: Sendable {
    var snapshot: ClusterSnapshot
    var configuration: ClusterConfiguration
    /// Monotonic start of the agent, to turn snapshot times into uptime or wall-clock times.
    var startedAt: ContinuousClock.Instant
    var startedAtWallClock: Int64
  }

  func publish(_ published: Published) {
    state.withLock { $0 = published }
  }

  var latest: Published? {
    state.withLock { $0 }
  }
}
