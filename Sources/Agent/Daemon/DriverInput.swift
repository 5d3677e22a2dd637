import Cluster

/// Everything that happens outside the core, in arrival order. Producers (the UDP handlers, the
/// netlink thread, the ping thread) yield into one stream, and one consumer feeds the driver,
/// so order is never lost between producers and the state machine.
enum DriverInput: Sendable {
  case datagram([UInt8], link: HeartbeatMessage.Link, source: String)
  case interface(String, LinkState)
  /// Everything one wake-up of the ping thread learned.
  case pings([PingResult])
  /// A datagram on the witness socket; `fromWitness`: from the witness's address and port.
  case witnessDatagram([UInt8], source: String, fromWitness: Bool)
  /// A poll of conntrackd's counters (session sync).
  case sessionSync(SessionSyncReport)
  /// The data plane put back what someone else took from an active reth (see
  /// `ClusterStateMachine.rethRestored`).
  case rethRestored(String, link: Bool, addresses: [Int], restores: Int)
  /// The action pipeline ran a commit (`conntrackd -c`): its outcome.
  case sessionCommitted(SessionCommit)
}

struct DriverInputs: Sendable {
  let stream: AsyncStream<DriverInput>
  let continuation: AsyncStream<DriverInput>.Continuation

  init() {
    // Bounded so a flood of forged datagrams cannot grow memory without limit.
    (stream, continuation) = AsyncStream.makeStream(
      of: DriverInput.self, bufferingPolicy: .bufferingNewest(4096))
  }

  func yield(_ input: DriverInput) {
    continuation.yield(input)
  }
}
