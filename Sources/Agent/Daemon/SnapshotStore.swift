import Cluster
import Synchronization

/// The latest immutable snapshot, published by the driver after every event and read by the
/// control socket and the SNMP thread without waiting on the driver.
final class SnapshotStore: Sendable {
  private let state: Mutex<Published?> = Mutex(nil)
  private let counter = Mutex<UInt64>(0)
  /// The data plane's counters by reth: the core sees no frames, so they join its snapshot
  /// here, on the way out.
  private let dataPlane = Mutex<[String: RethCounters]>([:])

  struct Published: Sendable {
    var snapshot: ClusterSnapshot
    var configuration: ClusterConfiguration
    /// Monotonic start of the agent, to turn snapshot times into uptime or wall-clock times.
    var startedAt: ContinuousClock.Instant
    var startedAtWallClock: Int64
  }

  func publish(_ published: Published) {
    state.withLock { $0 = published }
    counter.withLock { $0 &+= 1 }
  }

  /// The data plane counted something: readers see it in the next `latest`.
  func update(dataPlane counters: [String: RethCounters]) {
    dataPlane.withLock { $0 = counters }
    counter.withLock { $0 &+= 1 }
  }

  /// Bumped on every publish and counter update, so readers can cache what they derive from a
  /// snapshot.
  var version: UInt64 { counter.withLock { $0 } }

  var latest: Published? {
    guard var published = state.withLock({ $0 }) else { return nil }
    published.snapshot = published.snapshot.merging(dataPlane.withLock { $0 })
    return published
  }
}
