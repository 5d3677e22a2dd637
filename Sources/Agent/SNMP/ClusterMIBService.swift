import Cluster
import Journal
import Logging
import MIB
import Synchronization

/// Serves CHASSIS-CLUSTER-MIB through the AgentX subagent and sends its notifications (and,
/// with `set snmp juniper-compatible-traps`, SRX's beside them). The MIB view is built from
/// the latest snapshot only when a poller asks, at most every 100 ms, so a fast heartbeat does
/// not rebuild it per request of a walk.
final class ClusterMIBService: TrapSink {
  let subagent: SNMPSubagent
  private let source: MIBDataSource
  private let store: SnapshotStore

  init(socket: String, store: SnapshotStore, logger: Logger) {
    self.store = store
    subagent = SNMPSubagent(socket: socket, root: MIBDefinition.root) { line in
      logger.info("\(line)", metadata: ["SUBSYSTEM": "net-snmp"])
    }
    source = MIBDataSource(store: store)
    subagent.onConnectionChange { connected in
      let context = store.latest.map {
        EventContext(
          clusterID: $0.configuration.clusterID, nodeID: $0.snapshot.status.localNode,
          heartbeatIntervalMilliseconds: $0.configuration.heartbeatIntervalMilliseconds,
          configDigest: 0)
      }
      guard let context else { return }
      EventCatalog.log(
        connected
          ? EventCatalog.agentxConnected(socket: socket, context: context)
          : EventCatalog.agentxDisconnected(socket: socket, context: context), to: logger)
    }
  }

  func start() {
    subagent.update(source)
    _ = subagent.start()
  }

  /// The view the previous notification was built from: every event of one batch carries the
  /// same snapshot, and a failover of 129 RGs must not build 129 views (it made an overloaded
  /// node slower still, until it lost its peer again).
  private let lastView = Mutex<(takenAt: ClusterTime, status: ClusterStatus, view: MIBView)?>(nil)

  /// Called by the event dispatcher for every cluster event, with the snapshot of that moment.
  func notify(_ event: ClusterEvent, snapshot: ClusterSnapshot) {
    guard let published = store.latest else { return }
    let view: MIBView
    if let last = lastView.withLock({ $0 }), last.takenAt == snapshot.takenAt,
      last.status == snapshot.status
    {
      view = last.view
    } else {
      view = MIBView(
        snapshot: snapshot,
        context: MIBContext(
          configuration: published.configuration, agentStart: .zero,
          notificationsDropped: UInt32(clamping: subagent.droppedNotifications)))
      lastView.withLock { $0 = (snapshot.takenAt, snapshot.status, view) }
    }
    var notifications = NotificationBuilder.notifications(for: event, in: view)
    if published.configuration.juniperCompatibleTraps {
      notifications += JuniperNotifications.notifications(for: event, in: snapshot)
    }
    for notification in notifications {
      subagent.send(notification: notification.oid, varbinds: notification.varbinds)
    }
  }

  func stop() {
    subagent.stop()
  }
}

/// The data source the SNMP thread reads: a cached `MIBView` of the latest snapshot.
final class MIBDataSource: SNMPDataSource {
  private let store: SnapshotStore
  private let cache = Mutex<(version: UInt64, builtAt: ContinuousClock.Instant, view: MIBView)?>(
    nil)

  init(store: SnapshotStore) {
    self.store = store
  }

  private func view() -> MIBView? {
    let version = store.version
    let now = ContinuousClock.now
    if let cached = cache.withLock({ $0 }),
      cached.version == version || now - cached.builtAt < .milliseconds(100)
    {
      return cached.view
    }
    guard let published = store.latest else { return nil }
    let view = MIBView(
      snapshot: published.snapshot,
      context: MIBContext(configuration: published.configuration, agentStart: .zero))
    cache.withLock { $0 = (version, now, view) }
    return view
  }

  func get(_ oid: OID) -> SNMPValue? {
    view()?.get(oid)
  }

  func getNext(_ oid: OID) -> (oid: OID, value: SNMPValue)? {
    view()?.getNext(oid)
  }
}
