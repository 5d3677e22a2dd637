import Cluster

#if canImport(Glibc)
  import Glibc
#endif

/// One reth as the data plane drives it.
struct RethSpec: Equatable, Sendable {
  var name: String
  /// The local member (the macvlan's parent; in `member` style the interface itself).
  var member: String
  /// The shared MAC; nil for `member` style (addresses go on the member, its own MAC is used).
  var mac: [UInt8]?
  var addresses: [IPPrefix]
  /// GARPs per IPv4 address (and NAs per IPv6 address) in one burst (`gratuitous-arp-count`).
  var announcementCount: Int
  /// Set the Router flag in neighbour advertisements (the node forwards).
  var router: Bool
  /// This node's fabric link by name, else by the address it holds: a withdrawn macvlan reth
  /// hands over through it (`RethController+Handover.swift`). Neither: a blackhole instead.
  var fabricLink: String?
  var fabricAddress: [UInt8]?

  /// Addresses as prefix strings ("192.0.2.1/24"); nil when one does not parse.
  init?(
    name: String, member: String, mac: [UInt8]?, addresses: [String], announcementCount: Int = 4,
    router: Bool = true, fabricLink: String? = nil, fabricAddress: String? = nil
  ) {
    let parsed = addresses.compactMap(IPPrefix.init)
    guard parsed.count == addresses.count, mac == nil || mac?.count == 6 else { return nil }
    self.fabricLink = fabricLink
    self.fabricAddress = fabricAddress.flatMap(IPPrefix.init)?.bytes
    self.name = name
    self.member = member
    self.mac = mac
    self.addresses = parsed
    self.announcementCount = max(1, announcementCount)
    self.router = router
  }

  var usesMacvlan: Bool { mac != nil }
}

enum RethControllerError: Error, Equatable {
  case unknownReth(String)
  case memberMissing(reth: String, member: String)
  /// A link with the reth's name exists but is not a macvlan: we never touch it.
  case notOurs(String)
}

/// Executes the data-plane actions for reths: creates each `rethN` (a macvlan on its member,
/// bridge mode, with the shared MAC), keeps it down and empty unless active, and on activation
/// brings it up with its addresses and announces them.
///
/// Macvlan mode: bridge. The reth is the only macvlan we put on a member, so private mode's
/// isolation would protect nothing of ours; it would only stop other macvlans on the same
/// member (containers) from reaching the reth's addresses on this node, since the switch does
/// not hairpin. A down macvlan is out of the member's MAC table in every mode, so the secondary
/// neither receives nor sends for the shared MAC.
///
/// Announcements: `announcementCount` rounds, 50 ms apart (`pacing`), each round one GARP per
/// IPv4 address and one NA per IPv6 address; the same again `secondBurstDelay` (2 s) later, for
/// a switch port or host that was still settling (STP, a bond's member coming up). 50 ms spaces
/// the frames beyond a switch's per-port learning rate limits and keeps the whole first burst
/// (4 rounds) within 150 ms. The rounds are queued, not slept: the owner calls
/// `sendDueAnnouncements()` at `nextAnnouncementDue`, and `deactivate()` drops what is queued,
/// so a node that lost primary in between never sends the second burst.
///
/// Withdrawal in two halves: `silence()` before the node says it gave the RG up, the link down
/// `linkDownDelay` (500 ms) later (`finishDueDeactivations()`). Silenced, a reth hands over
/// (`RethController+Handover.swift`: its frames leave through the peer's member over the
/// fabric, its addresses stay, deprecated, so what is still in flight towards this node is
/// forwarded); without a fabric link it gets a blackhole root qdisc and loses its addresses
/// (≈ 0.3 ms). The link goes down later because `macvlan_stop` waits for an RCU grace period
/// holding the rtnl lock (4–30 ms measured), which would stall the peer's activation when both
/// nodes share a kernel (namespaces, the bench) and every other link change of this host. The
/// packet socket stays open while the reth exists: closing one waits for a grace period too.
///
/// Not Sendable: one owner thread calls everything. Its sockets and /proc/sys writes act in the
/// network namespace of the thread that created it.
final class RethController {
  let pacing: Duration
  let secondBurstDelay: Duration
  let linkDownDelay: Duration
  let watchList = RethWatchList()
  // Not private: RethController+Handover.swift sets the fabric filters with it.
  let netlink: RouteNetlink
  private let sysctls: RethSysctls
  // Not private: RethController+Specs.swift adds, replaces and drops specs on reload.
  var specs: [String: RethSpec] = [:]
  private var active: Set<String> = []
  private var sockets: [String: PacketSocket] = [:]
  var counters: [String: RethCounters] = [:]
  private var queue: [(due: ContinuousClock.Instant, reth: String)] = []
  /// Silenced reths (macvlan style) and when their link goes down.
  private var silenced: [String: ContinuousClock.Instant] = [:]
  /// Reths that hand over through the fabric when withdrawn, and why the others cannot.
  var handover: [String: HandoverLinks] = [:]
  var handoverProblems: [String: String] = [:]
  /// Silenced by handing over (addresses kept, deprecated), not by a blackhole.
  private var handingOver: Set<String> = []
  /// Of those, the ones whose addresses are not deprecated yet: that takes a netlink round
  /// trip per address, done after the heartbeat (`deprecateHandingOver`), not before it.
  private var deprecationDue: Set<String> = []
  /// Activated, not taking traffic yet (`activate(deferTraffic:)`).
  private var awaitingTraffic: Set<String> = []
  /// Reths whose neighbour queue is raised while they learn their neighbours, and until when.
  private var neighbourQueueRaised: [String: ContinuousClock.Instant] = [:]
  /// A new primary knows none of its neighbours (they went with the link when it was down)
  /// and takes the traffic of every session at once: with 1 000 streams, bursts overflowed the
  /// default queue (208 KiB) while the first ARP replies came back, and each lost segment cost
  /// its stream ≥ 200 ms. Raised for the first second only, so that a flood towards absent
  /// hosts cannot hold more than the default for long.
  static let raisedNeighbourQueue = "8388608"
  static let neighbourQueueWindow: Duration = .seconds(1)

  init(
    specs: [RethSpec], pacing: Duration = .milliseconds(50),
    secondBurstDelay: Duration = .seconds(2), linkDownDelay: Duration = .milliseconds(500),
    sysctlRoot: String = "/proc/sys/net", sysctlRecord: String? = nil
  ) throws {
    netlink = try RouteNetlink()
    sysctls = RethSysctls(root: sysctlRoot, record: sysctlRecord)
    self.pacing = pacing
    self.secondBurstDelay = secondBurstDelay
    self.linkDownDelay = linkDownDelay
    for spec in specs {
      self.specs[spec.name] = spec
      counters[spec.name] = RethCounters()
    }
  }

  /// The port id the watchdog must ignore (our own address changes).
  var netlinkPort: UInt32 { netlink.portID }

  func counters(_ name: String) -> RethCounters? { counters[name] }
  var allCounters: [String: RethCounters] { counters }
  func isActive(_ name: String) -> Bool { active.contains(name) }
  /// Withdrawn by `silence()`, its link not down yet.
  func isSilenced(_ name: String) -> Bool { silenced[name] != nil }

  // MARK: Actions

  /// Makes the reth exist, down and without addresses (macvlan style), or takes the reth's
  /// addresses off the member (member style). Idempotent; run at start for every reth, so a
  /// reth left up with addresses by a crashed agent is cleaned before anything else.
  func prepareDown(_ name: String) throws {
    let spec = try spec(name)
    deactivateBookkeeping(name)
    silenced[name] = nil
    stopHandingOver(name)
    guard let member = try netlink.link(named: spec.member) else {
      throw RethControllerError.memberMissing(reth: name, member: spec.member)
    }
    guard let mac = spec.mac else {
      for prefix in spec.addresses { try deleteIfPresent(prefix, index: member.index) }
      return
    }
    var link = try netlink.link(named: name)
    if let existing = link {
      guard existing.kind == "macvlan" else { throw RethControllerError.notOurs(name) }
      if existing.parentIndex != member.index {
        // A leftover on another parent (the member was renamed or changed): start afresh.
        try netlink.deleteLink(index: existing.index)
        link = nil
      }
    }
    if link == nil {
      try netlink.createMacvlan(name: name, parent: member.index, mac: mac, mode: .bridge)
      link = try netlink.link(named: name)
    }
    guard let reth = link else { throw RethControllerError.notOurs(name) }
    try netlink.setLink(index: reth.index, up: false)
    // A crashed agent's silenced reth: the blackhole would swallow the next activation, the
    // handover filters would send it all to the fabric.
    try netlink.deleteRootQdisc(index: reth.index)
    try endHandover(reth: reth.index)
    if reth.mac != mac { try netlink.setMAC(index: reth.index, mac: mac) }
    let ipv6 = spec.addresses.contains { $0.family == .inet6 }
    try sysctls.apply(RethSysctls.settings(reth: name, parent: spec.member, ipv6: ipv6))
    // The kernel flushes IPv6 addresses on down, IPv4 ones stay: remove whatever is left.
    for record in try netlink.addresses(index: reth.index) {
      try deleteIfPresent(record.prefix, index: reth.index)
    }
    prepareHandover(spec, reth: reth.index, member: member.index)
  }

  /// Link up, IPv6 addresses (no DAD, our link-local first), IPv4 addresses, then the first
  /// announcement round at once and the rest queued.
  /// On a reth already active: `restore()` (puts back what is missing, announces only then).
  /// `deferTraffic`: the relay to the peer stays on and nothing is announced until
  /// `takeTraffic()`, so that the reths of one RG start taking traffic together, each with
  /// its route and neighbours' answers in place (a reth that took traffic while another was
  /// still relaying sent its ARP requests out and had the replies relayed to the peer: a
  /// second-long stall of every stream through it, seen with 1 000 streams).
  func activate(
    _ name: String, now: ContinuousClock.Instant = .now, deferTraffic: Bool = false
  ) throws {
    let spec = try spec(name)
    if active.contains(name) {
      try restore(name, now: now)
      return
    }
    let index = try interfaceIndex(spec)
    // Silenced and still up: lifting the blackhole or the handover is enough (set up anyway:
    // costs nothing).
    if silenced.removeValue(forKey: name) != nil {
      try netlink.deleteRootQdisc(index: index)
      try endHandover(reth: index)
    }
    if stopHandingOver(name) {
      for prefix in expectedAddresses(spec) {
        try? netlink.setDeprecated(prefix, index: index, false)
      }
    }
    if spec.usesMacvlan { try netlink.setLink(index: index, up: true) }
    for prefix in expectedAddresses(spec) where prefix.family == .inet6 {
      try addIfMissing(prefix, index: index)
    }
    for prefix in spec.addresses where prefix.family == .inet {
      try addIfMissing(prefix, index: index)
    }
    active.insert(name)
    watchList.watch(
      name, RethWatchList.Entry(index: index, addresses: Set(expectedAddresses(spec))))
    if sockets[name]?.interfaceIndex != index {
      sockets[name] = try PacketSocket(interfaceIndex: index)
    }
    if deferTraffic {
      awaitingTraffic.insert(name)
    } else {
      try startTraffic(name, now: now)
    }
  }

  /// The reths activated with `deferTraffic` take their traffic: relays off, announcements.
  func takeTraffic(now: ContinuousClock.Instant = .now) throws {
    let names = awaitingTraffic.sorted()
    awaitingTraffic.removeAll()
    for name in names where active.contains(name) { try startTraffic(name, now: now) }
  }

  private func startTraffic(_ name: String, now: ContinuousClock.Instant) throws {
    // Until now what reached the member for the reth went to the peer.
    try relay(name, on: false)
    if let spec = specs[name] {
      // Right after: the first burst fits the default queue while the first replies come.
      let paths = RethSysctls.neighbourQueue(
        reth: name, ipv6: spec.addresses.contains { $0.family == .inet6 })
      // Best effort: without it only the first burst may overflow.
      try? sysctls.apply(paths.map { .init(path: $0, value: Self.raisedNeighbourQueue) })
      neighbourQueueRaised[name] = now.advanced(by: Self.neighbourQueueWindow)
    }
    schedule(name, now: now, bursts: 2)
    sendDueAnnouncements(now: now)
  }

  /// Down (frames stop at once), addresses removed, queued announcements dropped: all at once,
  /// slowly (see `silence` for the fast half). Finishes a silenced reth too.
  func deactivate(_ name: String) throws {
    let spec = try spec(name)
    deactivateBookkeeping(name)
    let wasSilenced = silenced.removeValue(forKey: name) != nil
    stopHandingOver(name)
    let index = try interfaceIndex(spec)
    if spec.usesMacvlan {
      // First: from now on what reaches the member for the reth goes to the peer.
      try relay(name, on: true)
      try netlink.setLink(index: index, up: false)
      if wasSilenced {
        try netlink.deleteRootQdisc(index: index)
        try endHandover(reth: index)
      }
      for record in try netlink.addresses(index: index) {
        try deleteIfPresent(record.prefix, index: index)
      }
    } else {
      for prefix in spec.addresses { try deleteIfPresent(prefix, index: index) }
    }
  }

  /// The fast half of a deactivation, for a node about to say that it gave the RG up: when it
  /// returns nothing the reth sends leaves by its own member (it goes to the fabric, or with
  /// no fabric link into a blackhole root qdisc, the addresses removed too); queued
  /// announcements are dropped. The link goes down at `finishDueDeactivations` after
  /// `linkDownDelay`, unless an `activate` ends the handover or lifts the blackhole first.
  /// Member style: the addresses go, which is all a deactivation does there. Nothing when
  /// inactive.
  func silence(_ name: String, now: ContinuousClock.Instant = .now) throws {
    let spec = try spec(name)
    guard active.contains(name) else { return }
    deactivateBookkeeping(name)
    let index = try interfaceIndex(spec)
    guard spec.usesMacvlan else {
      for prefix in spec.addresses { try deleteIfPresent(prefix, index: index) }
      return
    }
    if beginHandover(name) {
      // Addresses kept, deprecated: what still reaches this node is forwarded (and answered)
      // until the link goes down; every frame of it leaves through the peer's member.
      silenced[name] = now.advanced(by: linkDownDelay)
      handingOver.insert(name)
      deprecationDue.insert(name)
      return
    }
    do {
      try netlink.setBlackholeRoot(index: index)
    } catch {
      // No blackhole qdisc in this kernel: the slow way, at once.
      try deactivate(name)
      return
    }
    silenced[name] = now.advanced(by: linkDownDelay)
    // Ours by name, no dump; anything else on the reth goes with the full deactivation.
    for prefix in expectedAddresses(spec) { try deleteIfPresent(prefix, index: index) }
  }

  /// The addresses of the reths handing over are marked deprecated (`ip addr` shows it, and
  /// the kernel picks another source for what it sends itself): right after the heartbeat
  /// that gave the RG up, off its path (two round trips there instead of one per address
  /// more: graceful stop to the peer's notify script was 4.1 ms with them on it, 2.4 before).
  func deprecateHandingOver() {
    for name in deprecationDue.sorted() {
      guard let spec = specs[name], let index = try? interfaceIndex(spec) else { continue }
      for prefix in expectedAddresses(spec) {
        try? netlink.setDeprecated(prefix, index: index, true)
      }
    }
    deprecationDue.removeAll()
  }

  /// Ends the reth's handover bookkeeping; whether its addresses had been deprecated.
  @discardableResult
  private func stopHandingOver(_ name: String) -> Bool {
    let pending = deprecationDue.remove(name) != nil
    return handingOver.remove(name) != nil && !pending
  }

  /// When the next silenced reth's link is due to go down; nil when none is silenced.
  var nextLinkDownDue: ContinuousClock.Instant? { silenced.values.min() }
  /// When the last one is.
  var lastLinkDownDue: ContinuousClock.Instant? { silenced.values.max() }
  /// When the next raised neighbour queue goes back (`lowerDueNeighbourQueues`).
  var nextNeighbourQueueDue: ContinuousClock.Instant? { neighbourQueueRaised.values.min() }

  /// Puts the neighbour queues raised at activation back to the values found, once due (all
  /// of a reth's when it is deactivated).
  func lowerDueNeighbourQueues(now: ContinuousClock.Instant = .now) {
    for (name, due) in neighbourQueueRaised where due <= now { lowerNeighbourQueue(name) }
  }

  private func lowerNeighbourQueue(_ name: String) {
    guard neighbourQueueRaised.removeValue(forKey: name) != nil else { return }
    for path in RethSysctls.neighbourQueue(reth: name, ipv6: true) {
      guard let original = sysctls.original(path) else { continue }
      try? sysctls.apply([.init(path: path, value: original)])
    }
  }

  /// Takes down the links of the reths silenced `linkDownDelay` ago; the failures.
  func finishDueDeactivations(now: ContinuousClock.Instant = .now) -> [(
    reth: String, error: any Error
  )] {
    var failures: [(reth: String, error: any Error)] = []
    for (name, due) in silenced.sorted(by: { $0.value < $1.value }) where due <= now {
      do { try deactivate(name) } catch { failures.append((name, error)) }
    }
    return failures
  }

  /// A fresh burst (after a split brain is resolved); nothing when inactive.
  func announce(_ name: String, now: ContinuousClock.Instant = .now) {
    guard active.contains(name) else { return }
    schedule(name, now: now, bursts: 1)
    sendDueAnnouncements(now: now)
  }

  /// Deletes the reth's link (member style: removes its addresses) and restores the sysctls it
  /// changed on the reth and its member.
  func remove(_ name: String) throws {
    let spec = try spec(name)
    deactivateBookkeeping(name)
    silenced[name] = nil
    stopHandingOver(name)
    sockets.removeValue(forKey: name)?.close()
    dropHandover(spec)
    if spec.usesMacvlan {
      if let link = try netlink.link(named: name), link.kind == "macvlan" {
        try netlink.deleteLink(index: link.index)
      }
    } else if let member = try netlink.link(named: spec.member) {
      for prefix in spec.addresses { try deleteIfPresent(prefix, index: member.index) }
    }
    // The reth's own entries went with it; the member's arp_ignore is written back.
    sysctls.restore(interfaces: [name, spec.member])
  }

  /// Restores every sysctl changed (the agent stopping).
  @discardableResult
  func restoreSysctls() -> [String] { sysctls.restore() }

  /// Puts back what an active reth misses (link up, addresses) and, if anything was missing,
  /// announces again. Returns what it repaired; empty when nothing was missing or the reth is
  /// not active.
  @discardableResult
  func restore(_ name: String, now: ContinuousClock.Instant = .now) throws -> [TamperKind] {
    let spec = try spec(name)
    guard active.contains(name) else { return [] }
    var repaired: [TamperKind] = []
    guard let link = try netlink.link(named: spec.usesMacvlan ? name : spec.member) else {
      return [.linkDeleted]  // Someone deleted it: the owner must prepare and activate again.
    }
    if spec.usesMacvlan && !link.isAdministrativelyUp {
      try netlink.setLink(index: link.index, up: true)
      repaired.append(.linkDown)
    }
    let present = Set(try netlink.addresses(index: link.index).map(\.prefix))
    let expected = expectedAddresses(spec)
    for prefix in expected where prefix.family == .inet6 && !present.contains(prefix) {
      try addIfMissing(prefix, index: link.index)
      repaired.append(.addressRemoved(prefix))
    }
    for prefix in expected where prefix.family == .inet && !present.contains(prefix) {
      try addIfMissing(prefix, index: link.index)
      repaired.append(.addressRemoved(prefix))
    }
    if !repaired.isEmpty {
      counters[name, default: RethCounters()].restores += 1
      if sockets[name]?.interfaceIndex != link.index {
        sockets[name] = try PacketSocket(interfaceIndex: link.index)
      }
      watchList.watch(name, RethWatchList.Entry(index: link.index, addresses: Set(expected)))
      schedule(name, now: now, bursts: 1)
      sendDueAnnouncements(now: now)
    }
    return repaired
  }

  // MARK: Announcements

  /// When the next queued announcement round is due; nil when none is queued.
  var nextAnnouncementDue: ContinuousClock.Instant? { queue.map(\.due).min() }

  /// Sends every round due at `now`.
  func sendDueAnnouncements(now: ContinuousClock.Instant = .now) {
    let due = queue.filter { $0.due <= now }
    queue.removeAll { $0.due <= now }
    for entry in due.sorted(by: { $0.due < $1.due }) { sendRound(entry.reth) }
  }

  private func schedule(_ name: String, now: ContinuousClock.Instant, bursts: Int) {
    guard let spec = specs[name] else { return }
    for burst in 0..<bursts {
      let start = now.advanced(by: secondBurstDelay * burst)
      for round in 0..<spec.announcementCount {
        queue.append((start.advanced(by: pacing * round), name))
      }
    }
  }

  private func sendRound(_ name: String) {
    guard active.contains(name), let spec = specs[name], let socket = sockets[name] else { return }
    guard let mac = spec.mac ?? (try? netlink.link(named: spec.member))?.mac else { return }
    let source = linkLocalSource(spec, mac: mac)
    for prefix in spec.addresses {
      let frame: [UInt8]
      switch prefix.family {
      case .inet:
        frame = NeighbourAnnouncement.gratuitousARP(mac: mac, address: prefix.bytes)
      case .inet6:
        frame = NeighbourAnnouncement.unsolicitedNA(
          mac: mac, source: source, target: prefix.bytes, router: spec.router)
      }
      do {
        try socket.send(frame)
        if prefix.family == .inet {
          counters[name, default: RethCounters()].gratuitousARPsSent += 1
        } else {
          counters[name, default: RethCounters()].neighbourAdvertisementsSent += 1
        }
      } catch {
        counters[name, default: RethCounters()].sendFailures += 1
      }
    }
  }

  /// The NA source: our link-local (macvlan style); in member style the member's own
  /// link-local, or its EUI-64 one when the member has none listed.
  private func linkLocalSource(_ spec: RethSpec, mac: [UInt8]) -> [UInt8] {
    if !spec.usesMacvlan, let member = try? netlink.link(named: spec.member),
      let own = (try? netlink.addresses(index: member.index))?.first(where: {
        $0.prefix.isLinkLocal
      })
    {
      return own.prefix.bytes
    }
    return linkLocalAddress(mac: mac)?.bytes ?? [UInt8](repeating: 0, count: 16)
  }

  // MARK: Helpers

  private func spec(_ name: String) throws -> RethSpec {
    guard let spec = specs[name] else { throw RethControllerError.unknownReth(name) }
    return spec
  }

  /// The reth's addresses, plus our link-local first for a macvlan with IPv6 addresses.
  private func expectedAddresses(_ spec: RethSpec) -> [IPPrefix] {
    guard let mac = spec.mac, spec.addresses.contains(where: { $0.family == .inet6 }),
      let local = linkLocalAddress(mac: mac), !spec.addresses.contains(local)
    else { return spec.addresses }
    return [local] + spec.addresses
  }

  private func interfaceIndex(_ spec: RethSpec) throws -> Int32 {
    let target = spec.usesMacvlan ? spec.name : spec.member
    guard let link = try netlink.link(named: target) else {
      throw spec.usesMacvlan
        ? RethControllerError.unknownReth(spec.name)
        : RethControllerError.memberMissing(reth: spec.name, member: spec.member)
    }
    return link.index
  }

  private func deactivateBookkeeping(_ name: String) {
    // Unwatch before the link goes down: link notifications carry no port id to tell ours.
    watchList.unwatch(name)
    active.remove(name)
    awaitingTraffic.remove(name)
    lowerNeighbourQueue(name)
    queue.removeAll { $0.reth == name }
  }

  private func addIfMissing(_ prefix: IPPrefix, index: Int32) throws {
    do {
      try netlink.addAddress(prefix, index: index, noDAD: prefix.family == .inet6)
    } catch RouteNetlinkError.kernel(_, let code) where code == EEXIST {
      return
    }
  }

  private func deleteIfPresent(_ prefix: IPPrefix, index: Int32) throws {
    do {
      try netlink.deleteAddress(prefix, index: index)
    } catch RouteNetlinkError.kernel(_, let code) where code == EADDRNOTAVAIL || code == ENOENT {
      return
    }
  }
}
