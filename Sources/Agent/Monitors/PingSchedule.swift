import Cluster

#if canImport(Glibc)
  import Glibc
#endif

/// When each ip-monitoring address is pinged next and which request it still waits for: the
/// bookkeeping of the ping thread, apart from its sockets so a made-up clock can test it.
///
/// Each address gets one request per `interval`; a reply before the next request is a success,
/// no reply by then a failure. The core counts failures against `retry-count`.
struct PingSchedule {
  typealias Instant = ContinuousClock.Instant

  struct Entry {
    var target: PingTarget
    /// Nil for text that is no address (the parser accepts none): every request fails.
    var destination: ICMPAddress?
    var nextSend: Instant
    var outstanding: (request: EchoRequest, deadline: Instant)?
  }

  private(set) var entries: [String: Entry] = [:]

  /// Takes a new target list (start or reload): new addresses are due now, unchanged ones keep
  /// their rhythm, removed ones are forgotten with their outstanding request.
  mutating func update(_ targets: [PingTarget], now: Instant) {
    var next: [String: Entry] = [:]
    for target in targets {
      if var entry = entries[target.address] {
        entry.target = target
        next[target.address] = entry
      } else {
        next[target.address] = Entry(
          target: target, destination: try? ICMPAddress(target.address),
          nextSend: now)
      }
    }
    entries = next
  }

  /// Requests whose reply did not come in time: failures, in address order.
  mutating func expire(now: Instant) -> [String] {
    var failed: [String] = []
    for address in entries.keys.sorted() {
      guard let outstanding = entries[address]?.outstanding, outstanding.deadline <= now
      else { continue }
      entries[address]?.outstanding = nil
      failed.append(address)
    }
    return failed
  }

  /// Targets whose next request is due, in address order.
  func due(now: Instant) -> [Entry] {
    entries.keys.sorted().compactMap { address in
      guard let entry = entries[address], entry.nextSend <= now else { return nil }
      return entry
    }
  }

  /// Records a request sent to `address` (nil: it could not be sent, a failure the caller
  /// reports at once). The next one follows an interval later, never in a burst to catch up,
  /// and the reply must come before it. Returns true when a request still unanswered was
  /// superseded: a failure the caller reports too (`expire` normally reports it first).
  mutating func sent(_ address: String, request: EchoRequest?, now: Instant) -> Bool {
    guard var entry = entries[address] else { return false }
    let superseded = entry.outstanding != nil
    let interval = entry.target.interval
    entry.nextSend = entry.nextSend.advanced(by: interval)
    if entry.nextSend <= now { entry.nextSend = now.advanced(by: interval) }
    // The deadline is the next request, not send time + interval: a late send would otherwise
    // leave its request outstanding when the next one goes out, and a failure unreported.
    entry.outstanding = request.map { ($0, entry.nextSend) }
    entries[address] = entry
    return superseded
  }

  /// The address a reply answers, if it answers a request still outstanding.
  mutating func received(_ reply: EchoReply) -> String? {
    for (address, entry) in entries {
      guard let outstanding = entry.outstanding, outstanding.request.isAnswered(by: reply)
      else { continue }
      entries[address]?.outstanding = nil
      return address
    }
    return nil
  }

  /// The sockets the entries need: one per family and source address.
  var socketKeys: Set<PingSocketKey> {
    Set(entries.values.compactMap { $0.socketKey })
  }

  /// The next instant something is due: a request to send or a reply to give up on.
  var nextWake: Instant? {
    var earliest: Instant?
    for entry in entries.values {
      var candidate = entry.nextSend
      if let outstanding = entry.outstanding { candidate = min(candidate, outstanding.deadline) }
      earliest = earliest.map { min($0, candidate) } ?? candidate
    }
    return earliest
  }
}

/// Which socket pings an address: its family, and the source address ("" for the kernel's
/// choice). IPv4 and IPv6 addresses never share a socket.
struct PingSocketKey: Hashable, Sendable {
  var family: ICMPAddress.Family
  var source: String
}

extension PingSchedule.Entry {
  /// Nil when the destination is no address: nothing to send it with.
  var socketKey: PingSocketKey? {
    destination.map { PingSocketKey(family: $0.family, source: target.sourceAddress ?? "") }
  }
}
