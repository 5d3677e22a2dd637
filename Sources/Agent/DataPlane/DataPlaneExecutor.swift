import Cluster

/// Carries out the core's data-plane actions on this host (DESIGN §10). The driver calls it
/// in action order, before the batch's heartbeat goes out: it must return only once the
/// reth's link and addresses are as asked (the paced GARP/NA bursts may continue after).
protocol DataPlaneExecutor: Sendable {
  func execute(_ action: DataPlaneAction)
}
