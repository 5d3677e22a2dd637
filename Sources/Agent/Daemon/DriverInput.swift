import Cluster

/// Everything that happens outside the core. Two streams feed the driver (issue 13 item 7):
/// what our own threads report (link changes, pings, conntrackd, the data plane, a nudge that
/// rejections are waiting) is never dropped; what arrives from the network (authenticated
/// heartbeats, witness answers) is bounded, newest kept, so a flood cannot grow memory. A
/// flood's rejected datagrams are not queued at all: the receive path counts them
/// (`DatagramScreen`) and the driver takes the counts in one batch.
enum DriverInput: Sendable {
  /// A heartbeat that passed the source check, the replay floor and its HMAC, on the link of
  /// the port it arrived on.
  case message(HeartbeatMessage, source: String)
  /// The receive path refused datagrams: take them from the screen (at most one of these is
  /// queued at a time).
  case rejections
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
  /// Our own threads' reports: unbounded, since each producer's rate is bounded by design.
  let stream: AsyncStream<DriverInput>
  let continuation: AsyncStream<DriverInput>.Continuation
  /// From the network: bounded so a flood cannot grow memory without limit.
  let network: AsyncStream<DriverInput>
  let networkContinuation: AsyncStream<DriverInput>.Continuation

  static let networkCapacity = 1024

  init() {
    (stream, continuation) = AsyncStream.makeStream(of: DriverInput.self)
    (network, networkContinuation) = AsyncStream.makeStream(
      of: DriverInput.self, bufferingPolicy: .bufferingNewest(Self.networkCapacity))
  }

  func yield(_ input: DriverInput) {
    switch input {
    case .message, .witnessDatagram: networkContinuation.yield(input)
    default: continuation.yield(input)
    }
  }

  func finish() {
    continuation.finish()
    networkContinuation.finish()
  }
}
