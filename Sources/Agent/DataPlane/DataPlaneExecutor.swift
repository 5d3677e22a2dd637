import Cluster

/// Carries out the core's data-plane actions on this host (DESIGN §10), in action order.
///
/// A deactivation is split: `withdraw` runs on the driver before the batch's heartbeat and
/// returns once the reth sends nothing and holds no address (the old primary is silent before
/// it says it gave the RG up); the link goes down a little later, off the driver. Everything
/// else goes through `execute` on the action pipeline (`reset` on the driver, at start-up),
/// after the batch's commit and without holding up the heartbeat.
protocol DataPlaneExecutor: Sendable {
  /// The fast half of `deactivate(plan)`; queued activations and bursts of the reth that were
  /// asked before it are dropped when their turn comes.
  func withdraw(_ plan: RethPlan)
  /// After the heartbeat of a batch with withdrawals: their slower remainder may run now.
  func withdrawalsAnnounced()
  /// The reth's withdrawal count, taken when an action is queued and handed to `execute`.
  func ticket(for reth: String) -> UInt64
  func execute(_ action: DataPlaneAction, ticket: UInt64)
  /// After a batch's activations: their reths take traffic together.
  func takeTraffic()
}
