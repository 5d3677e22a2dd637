import Cluster
import Logging
import Synchronization
import Testing

@testable import Agent

@Suite struct EventDispatcherTests {
  /// Regression: the trap sink, kept as a bare closure in a Mutex, grew one reabstraction
  /// thunk per event and overflowed the stack after enough events (a core dump showed it).
  @Test func manyEventsReachTheTrapSinkWithoutGrowingTheCallChain() {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let dispatcher = EventDispatcher(
      logger: logger,
      context: EventContext(
        clusterID: 1, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0))
    let count = Mutex(0)
    dispatcher.onTrap { _, _ in count.withLock { $0 += 1 } }
    var machine = ClusterStateMachine(
      configuration: ClusterConfiguration(clusterID: 1), localNode: 0, bootEpoch: 1,
      configDigest: 0)
    _ = machine.start(now: .zero)
    let snapshot = machine.snapshot(now: .zero)
    for _ in 0..<300_000 {
      dispatcher.dispatch(.controlLinkUp, snapshot: snapshot)
    }
    #expect(count.withLock { $0 } == 300_000)
  }
}
