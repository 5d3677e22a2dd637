/// The witness's decisions (DESIGN §12), pure: requests and the current time in, replies and
/// grant events out. `ccwitnessd` only moves datagrams and logs; `ccctl simulate` runs the
/// same type beside the two nodes.
///
/// One grant per cluster (told apart by cluster id and the key that authenticated it):
/// - it goes to a node that claims it (lost its peer on every path) while no one holds it,
///   unless the other node is in contact and preferred: the current primary first, then the
///   higher RG0 priority, then node0 — the preferred node's own claim will come;
/// - the holder keeps it while it renews (no failback after arbitration), and loses it when it
///   stops claiming (its peer is back) or stops renewing within 1.5 leases;
/// - it is *confirmed* — the holder may act on it — once the other node is out of contact or
///   primary of nothing: until then the other node, told who holds it, gives its RGs up;
/// - nothing is granted within 1.5 leases of the witness's start, so that a node that counted
///   on an earlier run of the witness has stopped counting on it.
public struct WitnessArbiter: Sendable {
  public struct ClusterKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Which of the witness's keys authenticated the cluster.
    public var keyIndex: Int
    public var clusterID: UInt8
    public init(keyIndex: Int, clusterID: UInt8) {
      self.keyIndex = keyIndex
      self.clusterID = clusterID
    }
    public static func < (a: ClusterKey, b: ClusterKey) -> Bool {
      (a.keyIndex, a.clusterID) < (b.keyIndex, b.clusterID)
    }
    public var description: String { "cluster \(clusterID) (key \(keyIndex))" }
  }

  public enum Event: Sendable, Equatable, CustomStringConvertible {
    case granted(ClusterKey, node: Int)
    case confirmed(ClusterKey, node: Int)
    case released(ClusterKey, node: Int, reason: String)
    case rejected(ClusterKey, node: Int, reason: String)

    /// The node the event is about.
    public var node: Int {
      switch self {
      case .granted(_, let n), .confirmed(_, let n), .released(_, let n, _), .rejected(_, let n, _):
        n
      }
    }

    /// A short kebab-case name, as `simulate --json` prints it.
    public var name: String {
      switch self {
      case .granted: "witness-granted"
      case .confirmed: "witness-confirmed"
      case .released: "witness-released"
      case .rejected: "witness-rejected"
      }
    }

    public var description: String {
      switch self {
      case .granted(let c, let n): "\(c): grant to node\(n)"
      case .confirmed(let c, let n): "\(c): grant of node\(n) confirmed"
      case .released(let c, let n, let why): "\(c): grant of node\(n) released (\(why))"
      case .rejected(let c, let n, let why): "\(c): request of node\(n) rejected (\(why))"
      }
    }
  }

  public struct Decision: Sendable, Equatable {
    /// nil: the request is dropped unanswered (a replay).
    public var reply: WitnessReply?
    public var events: [Event]
  }

  /// What the witness knows of one node of one cluster.
  struct Member: Sendable {
    var epoch: UInt64
    var highestSequence: UInt64
    var primary = false
    var claiming = false
    var priority: UInt8 = 0
    /// Until when the latest counted request keeps the node "in contact".
    var expiresAt: ClusterTime?
    var lease: Duration = .zero
    /// Nonces sent to this node lately, with when they were sent.
    var nonces: [(nonce: UInt64, sentAt: ClusterTime)] = []

    func inContact(at now: ClusterTime) -> Bool { expiresAt.map { now < $0 } ?? false }
  }

  struct Arbitration: Sendable {
    var members: [Member?] = [nil, nil]
    var holder: Int?
    var holderExpiresAt: ClusterTime?
    var confirmed = false
  }

  /// A bound on memory: requests of further clusters are dropped.
  public static let maximumClusters = 4096
  static let noncesKept = 8

  private var clusters: [ClusterKey: Arbitration] = [:]
  private let startedAt: ClusterTime
  private var nextNonce: UInt64

  /// `nonceSeed` should be random per start, so that nonces of an earlier run never recur.
  public init(startedAt: ClusterTime, nonceSeed: UInt64) {
    self.startedAt = startedAt
    self.nextNonce = nonceSeed == 0 ? 1 : nonceSeed
  }

  /// The extra time the witness keeps contact and grants beyond a node's own lease: the node
  /// stops counting on an answer before the witness stops counting on the request, whatever
  /// the delay in between.
  static func keep(_ lease: Duration) -> Duration { lease * 3 / 2 }

  public mutating func requestReceived(
    _ request: WitnessRequest, keyIndex: Int, now: ClusterTime
  ) -> Decision {
    let key = ClusterKey(keyIndex: keyIndex, clusterID: request.clusterID)
    let node = Int(request.nodeID & 1)
    guard clusters[key] != nil || clusters.count < Self.maximumClusters else {
      return Decision(reply: nil, events: [.rejected(key, node: node, reason: "too many clusters")])
    }
    var arbitration = clusters[key] ?? Arbitration()
    var events: [Event] = []
    expire(&arbitration, key: key, now: now, events: &events)

    var member =
      arbitration.members[node]
      ?? Member(epoch: request.bootEpoch, highestSequence: 0)
    // Replay protection as for heartbeats: newer epochs, and newer sequences of one epoch; an
    // older epoch only once the node's contact has lapsed (a clock stepped back on restart).
    if request.bootEpoch == member.epoch {
      guard request.sequence > member.highestSequence else {
        return Decision(
          reply: nil,
          events: events + [.rejected(key, node: node, reason: "replayed sequence")])
      }
    } else if request.bootEpoch < member.epoch && member.inContact(at: now) {
      return Decision(
        reply: nil, events: events + [.rejected(key, node: node, reason: "older epoch")])
    }
    member.epoch = request.bootEpoch
    member.highestSequence = request.sequence

    let keep = Self.keep(request.lease)
    let fresh =
      request.echoedNonce != 0
      && member.nonces.contains { $0.nonce == request.echoedNonce && now - $0.sentAt < keep }
    if fresh {
      member.primary = request.primary
      member.claiming = request.claim
      member.priority = request.priority
      member.lease = request.lease
      member.expiresAt = now + keep
    }
    let nonce = nextNonce
    nextNonce = nextNonce == .max ? 1 : nextNonce + 1
    member.nonces.append((nonce, now))
    if member.nonces.count > Self.noncesKept { member.nonces.removeFirst() }
    arbitration.members[node] = member

    if fresh {
      arbitrate(&arbitration, key: key, node: node, now: now, events: &events)
    }
    confirm(&arbitration, key: key, now: now, events: &events)
    clusters[key] = arbitration
    return Decision(
      reply: WitnessReply(
        clusterID: request.clusterID, nodeID: request.nodeID, echoedEpoch: request.bootEpoch,
        echoedSequence: request.sequence, nonce: nonce, recorded: fresh,
        holder: arbitration.holder.map { UInt8($0) }, confirmed: arbitration.confirmed),
      events: events)
  }

  /// Time passed: grants whose holder stopped renewing lapse (for the record; requests
  /// expire them too).
  public mutating func tick(now: ClusterTime) -> [Event] {
    var events: [Event] = []
    for key in clusters.keys.sorted() {
      guard var arbitration = clusters[key] else { continue }
      expire(&arbitration, key: key, now: now, events: &events)
      confirm(&arbitration, key: key, now: now, events: &events)
      if arbitration.holder == nil,
        arbitration.members.allSatisfy({ $0.map { !$0.inContact(at: now) } ?? true })
      {
        // Forgotten once silent: the memory of a cluster that went away is freed.
        clusters[key] = nil
      } else {
        clusters[key] = arbitration
      }
    }
    return events
  }

  /// The earliest time at which `tick` can change something.
  public var nextDeadline: ClusterTime? {
    clusters.values.flatMap { a in [a.holderExpiresAt] + a.members.map { $0?.expiresAt } }
      .compactMap { $0 }.min()
  }

  /// Who holds the grant of a cluster, for status output and tests.
  public func holder(of key: ClusterKey) -> (node: Int, confirmed: Bool)? {
    guard let a = clusters[key], let holder = a.holder else { return nil }
    return (holder, a.confirmed)
  }

  public var clusterKeys: [ClusterKey] { clusters.keys.sorted() }

  // MARK: - Rules

  private func expire(
    _ a: inout Arbitration, key: ClusterKey, now: ClusterTime, events: inout [Event]
  ) {
    guard let holder = a.holder, let until = a.holderExpiresAt, now >= until else { return }
    a.holder = nil
    a.holderExpiresAt = nil
    a.confirmed = false
    events.append(.released(key, node: holder, reason: "not renewed"))
  }

  private func arbitrate(
    _ a: inout Arbitration, key: ClusterKey, node: Int, now: ClusterTime, events: inout [Event]
  ) {
    guard let member = a.members[node] else { return }
    let keep = Self.keep(member.lease)
    if a.holder == node {
      if member.claiming {
        a.holderExpiresAt = now + keep
      } else {
        a.holder = nil
        a.holderExpiresAt = nil
        a.confirmed = false
        events.append(.released(key, node: node, reason: "peer reachable again"))
      }
      return
    }
    guard member.claiming, a.holder == nil, now >= startedAt + keep else { return }
    if let other = a.members[1 - node], other.inContact(at: now), other.primary || other.claiming,
      Self.prefers(other, node: 1 - node, over: member)
    {
      return  // the preferred node is in contact: its claim decides
    }
    a.holder = node
    a.holderExpiresAt = now + keep
    a.confirmed = false
    events.append(.granted(key, node: node))
  }

  /// The grant is confirmed once the other node cannot be primary of anything: out of contact,
  /// or its latest counted request says it is primary of nothing.
  private func confirm(
    _ a: inout Arbitration, key: ClusterKey, now: ClusterTime, events: inout [Event]
  ) {
    guard let holder = a.holder, !a.confirmed else { return }
    let other = a.members[1 - holder]
    guard other.map({ !$0.inContact(at: now) || !$0.primary }) ?? true else { return }
    a.confirmed = true
    events.append(.confirmed(key, node: holder))
  }

  /// The current primary first, then the higher priority, then node0.
  static func prefers(_ a: Member, node: Int, over b: Member) -> Bool {
    if a.primary != b.primary { return a.primary }
    if a.priority != b.priority { return a.priority > b.priority }
    return node == 0
  }
}
