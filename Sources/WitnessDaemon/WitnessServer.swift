import Cluster
import Logging

/// The witness's loop: each datagram is authenticated with the first key that verifies it,
/// handed to the arbiter under that key's cluster, and answered with the same key; the
/// arbiter's grants and releases are logged.
struct WitnessServer {
  let keyring: WitnessKeyring
  let logger: Logger
  private var arbiter: WitnessArbiter
  private let clock = ContinuousClock()
  private let startedAt: ContinuousClock.Instant
  private var rejected = 0
  private var lastRejectionReport: ContinuousClock.Instant
  /// Rejected datagrams are logged as a count at most this often.
  static let rejectionReportInterval = Duration.seconds(10)

  init(keyring: WitnessKeyring, logger: Logger) {
    self.keyring = keyring
    self.logger = logger
    startedAt = clock.now
    lastRejectionReport = startedAt
    arbiter = WitnessArbiter(startedAt: .zero, nonceSeed: UInt64.random(in: 1...UInt64.max))
  }

  var now: ClusterTime { ClusterTime(nanoseconds: (clock.now - startedAt).nanosecondsClamped) }

  mutating func run(_ socket: WitnessSocket) {
    while true {
      let wait = arbiter.nextDeadline.map { max(0, ($0 - now).millisecondsClamped + 1) } ?? 1000
      socket.wait(milliseconds: Int32(clamping: min(wait, 1000)))
      while let datagram = socket.receive(limit: WitnessCodec.maximumMessageSize + 1) {
        handle(datagram, socket: socket)
      }
      log(arbiter.tick(now: now))
      reportRejections()
    }
  }

  private mutating func handle(_ datagram: WitnessSocket.Datagram, socket: WitnessSocket) {
    guard let opened = keyring.open(datagram.bytes) else {
      rejected += 1
      return
    }
    let decision = arbiter.requestReceived(opened.request, keyIndex: opened.cluster, now: now)
    log(decision.events, source: WitnessSocket.text(datagram))
    if let reply = decision.reply { socket.send(opened.codec.encode(reply), to: datagram) }
  }

  private mutating func log(_ events: [WitnessArbiter.Event], source: String? = nil) {
    for event in events {
      var metadata: Logger.Metadata = [
        "WITNESS_EVENT": "\(event.name)", "NODE_ID": "\(event.node)",
      ]
      if let source { metadata["SOURCE_ADDRESS"] = "\(source)" }
      if case .rejected = event {
        rejected += 1
        continue
      }
      logger.notice("\(event)", metadata: metadata)
    }
  }

  private mutating func reportRejections() {
    guard rejected > 0, clock.now - lastRejectionReport >= Self.rejectionReportInterval else {
      return
    }
    let summary =
      "\(rejected) datagrams rejected (bad key, malformed or replayed) in the last "
      + "\(Self.rejectionReportInterval)"
    logger.warning("\(summary)")
    rejected = 0
    lastRejectionReport = clock.now
  }
}
