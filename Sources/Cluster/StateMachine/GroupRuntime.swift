/// Manual failover state of one RG, replicated to the peer in heartbeats. The newest write wins,
/// ordered by (generation, author).
public struct ManualFailover: Sendable, Equatable {
  public var target: Int?
  public var generation: UInt32 = 0
  public var author: Int = 0

  /// Generations compare as serial numbers (RFC 1982, bounded); the author breaks a tie.
  func isNewer(than other: ManualFailover) -> Bool {
    generation == other.generation
      ? author > other.author : SerialNumber.isNewer(generation, than: other.generation)
  }
}

/// One row of `show chassis cluster information`'s history.
public struct TransitionRecord: Sendable, Equatable {
  public var time: ClusterTime
  public var from: RedundancyGroupState
  public var to: RedundancyGroupState
  public var reason: String
}

/// The local node's runtime state of one redundancy group.
struct GroupRuntime: Sendable {
  /// Boxed: a GroupRuntime is copied on most reads, and the configuration is most of its size
  /// and reference counts, yet never changes (a reload builds new runtimes).
  private let configurationBox: Box<RedundancyGroupConfiguration>
  var configuration: RedundancyGroupConfiguration {
    _read { yield configurationBox.value }
  }
  var state: RedundancyGroupState = .hold
  var failoverCount: Int = 0
  /// When this RG last changed primary after the first election: hold-down counts from here.
  var lastFailoverAt: ClusterTime?
  var lastFailoverReason: String?
  var lastTransitionAt: ClusterTime?
  var secondaryHoldUntil: ClusterTime?
  var manual = ManualFailover()
  var preemptConditionSince: ClusterTime?
  /// Preemptive failovers this node performed, for `preempt limit/period`.
  var preemptHistory: [ClusterTime] = []
  var preemptSuspended = false
  /// Replicated: a newer generation from the peer means the operator reset preempt there.
  var preemptGeneration: UInt32 = 0
  /// When a wanted failover is waiting for hold-down to expire.
  var pendingFailoverAt: ClusterTime?
  var history: [TransitionRecord] = []

  static let historyLimit = 20

  var id: Int { configuration.id }
  var holdDown: Duration { .seconds(configuration.holdDownIntervalSeconds) }

  init(configuration: RedundancyGroupConfiguration) {
    self.configurationBox = Box(configuration)
  }
}

/// An immutable value behind one reference.
final class Box<Value: Sendable>: Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// The latest the peer told us about itself.
struct PeerView: Sendable {
  var nodeID: Int
  var epoch: UInt64
  var configDigest: UInt64
  var counterGeneration: UInt32
  var groups: PeerGroups
}

/// The peer's announcements by RG id, in array slots like `GroupTable`: a dictionary hashed
/// each of 129 ids several times per message and per evaluation.
struct PeerGroups: Sendable, Equatable, Sequence {
  private var slots: [GroupAnnouncement?] = []

  init() {}

  subscript(id: Int) -> GroupAnnouncement? {
    get { id >= 0 && id < slots.count ? slots[id] : nil }
    set {
      guard id >= 0 else { return }
      if id >= slots.count {
        guard newValue != nil else { return }
        slots.append(contentsOf: repeatElement(nil, count: id + 1 - slots.count))
      }
      slots[id] = newValue
    }
  }

  /// The RGs announced, by id.
  func makeIterator() -> some IteratorProtocol<(key: Int, value: GroupAnnouncement)> {
    slots.enumerated().lazy.compactMap { slot in slot.element.map { (key: slot.offset, value: $0) }
    }
    .makeIterator()
  }

  /// The same announcements, whatever empty slots either side has at its end.
  static func == (lhs: PeerGroups, rhs: PeerGroups) -> Bool {
    let count = Swift.max(lhs.slots.count, rhs.slots.count)
    return (0..<count).allSatisfy { lhs[$0] == rhs[$0] }
  }
}

/// Reception bookkeeping of one link.
struct LinkTracker: Sendable {
  var status: ClusterLinkStatus = .down
  var lastReceivedAt: ClusterTime?
  var lastSequence: UInt64 = 0
  var goodSinceDown = 0
  var sent: UInt64 = 0
  var received: UInt64 = 0
  var errors: UInt64 = 0
  /// Of the errors, datagrams from an address that is not the peer's (dropped undecoded).
  var sourceRejected: UInt64 = 0
}

/// The RG runtime table, indexed by RG id (0...128 by configuration): array slots instead of a
/// dictionary, so the evaluation's many lookups neither hash nor copy a whole `GroupRuntime`
/// (`groups.read(id) { … }` borrows the slot).
struct GroupTable: Sendable {
  private var slots: [GroupRuntime?] = []
  /// The ids present, sorted.
  private(set) var keys: [Int] = []

  /// `body` of the runtime of `id`, read in place; nil when absent. The subscript's
  /// `groups[id]?.state` copies the whole runtime (its configuration box, history and preempt
  /// arrays retained and released) to read one field: with 129 RGs, in every evaluation, that
  /// copying was 40 % of an idle agent's CPU at 10 ms heartbeats.
  @inline(__always)
  func read<Result>(_ id: Int, _ body: (borrowing GroupRuntime) -> Result) -> Result? {
    guard id >= 0 && id < slots.count else { return nil }
    return slots.withUnsafeBufferPointer { buffer in
      let slot = buffer.baseAddress! + id
      guard case .some = slot.pointee else { return nil }
      // `Optional.map` (or `if let`) binds a copy of the payload: 129 of them per evaluation
      // were most of an idle agent's memmove and retain/release. A single-payload enum keeps
      // its payload at offset 0 and, with a reference inside, adds no tag byte
      // (`GroupTableTests` checks the sizes), so the runtime is read where it lies.
      return slot.withMemoryRebound(to: GroupRuntime.self, capacity: 1) { body($0.pointee) }
    }
  }

  /// Whether `id` has a runtime, from the slot's tag alone (no copy of the payload).
  @inline(__always)
  private func isPresent(_ id: Int) -> Bool {
    slots.withUnsafeBufferPointer { buffer in
      if case .some = buffer[id] { return true }
      return false
    }
  }

  /// The RG's state, read in place (see `read`).
  func state(_ id: Int) -> RedundancyGroupState? { read(id) { $0.state } }

  init() {}

  subscript(id: Int) -> GroupRuntime? {
    // A borrow, not a copy: `get` copied the whole runtime (retaining its configuration box,
    // history and preempt arrays) for every `groups[id]?.state`, 40 % of an idle agent's CPU
    // with 129 RGs at 10 ms heartbeats.
    get {
      id >= 0 && id < slots.count ? slots[id] : nil
    }
    _modify {
      if id < 0 {
        var ignored: GroupRuntime? = nil
        yield &ignored
      } else {
        if id >= slots.count {
          slots.append(contentsOf: repeatElement(nil, count: id + 1 - slots.count))
        }
        let wasPresent = isPresent(id)
        yield &slots[id]
        if wasPresent != isPresent(id) {
          keys = slots.indices.filter(isPresent)
        }
      }
    }
  }
}
