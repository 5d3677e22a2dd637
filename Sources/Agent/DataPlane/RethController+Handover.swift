import Cluster

/// The handover over the fabric (DESIGN §10; README, "Handover over the fabric"): what makes a planned failover lose nothing.
///
/// A withdrawn reth keeps its addresses and keeps forwarding for the grace period
/// (`linkDownDelay`), but every frame it sends leaves through the peer's member: its egress is
/// redirected to the fabric, and the peer sends frames from the reth MAC that reach it over
/// the fabric out of its own member. So from the moment a node gives an RG up, the shared MAC
/// is seen on the LAN at the peer's port only (the switch moves its entry there at once), and
/// what was in flight towards the old primary is still forwarded, by the node that holds its
/// sessions, while the new primary commits its own.
///
/// The other half covers the switch sending to the peer's port before the peer has its reth
/// up: while a reth is not active on a node, frames for the reth MAC reaching that node's
/// member go over the fabric to the other node, whose fabric filter hands them to its reth
/// (a macvlan in bridge mode delivers a frame sent to its own MAC to itself, as received). A
/// reth that is down there drops them (mirred will not send into a link that is down).
///
/// Filters (tc u32 + mirred; see `RouteNetlink+Filter.swift`):
/// - the reth's egress, during the grace period only: frames to the reth MAC pass (the
///   delivery above), everything else goes to the fabric;
/// - the member's ingress, while the reth is not active: frames to the reth MAC go to the
///   fabric, but for ARP replies and neighbour advertisements (the node asked for them);
/// - the fabric's ingress, always: frames from the reth MAC go out of the member, frames to it
///   into the reth.
///
/// Not covered: a member whose link went down (the reth has no carrier, so nothing can be
/// delivered into it: what the peer relays is lost until the peer's reth is up), and a node
/// that died. A reth in `member` style, or one with no fabric link found, is withdrawn with a
/// blackhole as before.
struct HandoverLinks: Equatable, Sendable {
  var reth: Int32
  var member: Int32
  var fabric: Int32
}

extension RethController {
  /// Our tc preferences on links others may filter on too (member, fabric): a block of its own
  /// per reth index, far from the low numbers `tc` hands out by default.
  static func relayPreference(_ name: String) -> UInt16 { 0xC000 &+ rethIndex(name) }

  /// The member's exceptions to the relay for neighbour replies to the reth MAC (ARP, NA).
  static func neighbourReplyPreferences(_ name: String) -> (arp: UInt16, advertisement: UInt16) {
    let base = 0xBC00 &+ 2 &* rethIndex(name)
    return (base, base &+ 1)
  }

  static func fabricPreferences(_ name: String) -> (source: UInt16, destination: UInt16) {
    let base = 0xC400 &+ 2 &* rethIndex(name)
    return (base, base &+ 1)
  }

  private static func rethIndex(_ name: String) -> UInt16 {
    UInt16(truncatingIfNeeded: RedundantEthernet.index(of: name) ?? 0)
  }

  /// This node's fabric link for `spec`: the named one, else the one holding its address.
  func fabricIndex(_ spec: RethSpec) throws -> Int32? {
    if let name = spec.fabricLink { return try netlink.link(named: name)?.index }
    if let address = spec.fabricAddress { return try netlink.index(holding: address) }
    return nil
  }

  /// Sets the fabric's filters for a prepared macvlan reth and remembers its links; when it
  /// cannot (no fabric named or found, no clsact or mirred in this kernel), the reason is kept
  /// in `handoverProblems` and the reth is withdrawn with a blackhole.
  func prepareHandover(_ spec: RethSpec, reth: Int32, member: Int32) {
    handover[spec.name] = nil
    guard let mac = spec.mac else { return }
    do {
      guard let fabric = try fabricIndex(spec) else {
        handoverProblems[spec.name] = "no fabric link found (fabric-address or fab member)"
        return
      }
      let links = HandoverLinks(reth: reth, member: member, fabric: fabric)
      let preferences = Self.fabricPreferences(spec.name)
      if try netlink.ensureClsact(index: fabric) { announceAddresses(of: fabric) }
      try netlink.setFilter(
        index: fabric, hook: .ingress, preference: preferences.source, match: .source(mac),
        verdict: .redirect(to: member))
      try netlink.setFilter(
        index: fabric, hook: .ingress, preference: preferences.destination,
        match: .destination(mac), verdict: .redirect(to: reth))
      if try netlink.ensureClsact(index: member) { announceAddresses(of: member) }
      // The reth is down here: its clsact costs no pause (see `beginHandover`).
      try netlink.ensureClsact(index: reth)
      // Neighbour replies to the shared MAC are never relayed: a node asks only for traffic
      // it forwards, so the reply is its own. A new primary whose other reth still relayed
      // sent its ARP request for a host out and had the reply relayed to the peer: a
      // second-long stall of every stream (the ARP retry), seen with 1 000 streams. Copies
      // to both nodes instead loop (a frame delivered from the fabric passes the member's
      // ingress again).
      let replies = Self.neighbourReplyPreferences(spec.name)
      try netlink.setFilter(
        index: member, hook: .ingress, preference: replies.arp, match: .arpTo(mac),
        verdict: .pass)
      try netlink.setFilter(
        index: member, hook: .ingress, preference: replies.advertisement,
        match: .neighbourAdvertisementTo(mac), verdict: .pass)
      handover[spec.name] = links
      handoverProblems[spec.name] = nil
      try relay(spec.name, on: true)
    } catch {
      handover[spec.name] = nil
      handoverProblems[spec.name] = "\(error)"
    }
  }

  /// Grafting a qdisc on a link that is up pauses its transmissions for a moment
  /// (`dev_deactivate`, as the kernel does for every graft): an ARP reply sent then is lost,
  /// and the peer waits a second (ARP's retry) to reach our fabric address, long enough to
  /// call the fabric down at start-up (seen in the witness tests). So the link's own addresses
  /// are announced once right after: a peer's pending resolution completes on it.
  func announceAddresses(of index: Int32) {
    guard let mac = (try? netlink.link(index: index))?.mac, mac.count == 6,
      let records = try? netlink.addresses(index: index),
      let socket = try? PacketSocket(interfaceIndex: index)
    else { return }
    defer { socket.close() }
    for record in records where !record.deleted && !record.prefix.isLinkLocal {
      let address = record.prefix.bytes
      switch record.prefix.family {
      case .inet:
        try? socket.send(NeighbourAnnouncement.gratuitousARP(mac: mac, address: address))
      case .inet6:
        try? socket.send(
          NeighbourAnnouncement.unsolicitedNA(
            mac: mac, source: address, target: address, router: false))
      }
    }
  }

  /// The member's relay of frames for the reth MAC to the peer: on while the reth is not
  /// active here.
  func relay(_ name: String, on: Bool) throws {
    guard let links = handover[name], let mac = specs[name]?.mac else { return }
    let preference = Self.relayPreference(name)
    if on {
      try netlink.setFilter(
        index: links.member, hook: .ingress, preference: preference, match: .destination(mac),
        verdict: .redirect(to: links.fabric))
    } else {
      try netlink.deleteFilter(index: links.member, hook: .ingress, preference: preference)
    }
  }

  /// The grace period starts: everything the reth sends but frames to itself goes to the
  /// fabric. False when this reth cannot hand over (the caller uses the blackhole).
  func beginHandover(_ name: String) -> Bool {
    guard let links = handover[name], let mac = specs[name]?.mac else { return false }
    // On the driver before the heartbeat, so two round trips only: the clsact has been there
    // since `prepareHandover`, and `endHandover` left no filter behind. (Grafting a qdisc on a
    // link that is up would stop its transmissions for an RCU grace period, `dev_deactivate`:
    // that dropped every frame the old primary forwarded in that millisecond.)
    do {
      try addHandoverFilters(links, mac: mac)
      return true
    } catch {
      // A clsact someone removed: put it back (with that pause) and try once more.
      do {
        try netlink.ensureClsact(index: links.reth)
        try endHandover(reth: links.reth)
        try addHandoverFilters(links, mac: mac)
        return true
      } catch {
        handoverProblems[name] = "\(error)"
        try? endHandover(reth: links.reth)
        return false
      }
    }
  }

  private func addHandoverFilters(_ links: HandoverLinks, mac: [UInt8]) throws {
    try netlink.addFilter(
      index: links.reth, hook: .egress, preference: 1, match: .destination(mac), verdict: .pass)
    try netlink.addFilter(
      index: links.reth, hook: .egress, preference: 2, match: .all,
      verdict: .redirect(to: links.fabric))
  }

  /// The reth's egress filters go; its clsact stays (see `beginHandover`).
  func endHandover(reth index: Int32) throws {
    try netlink.deleteFilter(index: index, hook: .egress, preference: 2)
    try netlink.deleteFilter(index: index, hook: .egress, preference: 1)
  }

  /// Our filters on the member and the fabric go (a removed reth; `--cleanup-reths`, which
  /// has no prepared state: the links are looked up again).
  func dropHandover(_ spec: RethSpec) {
    handover[spec.name] = nil
    guard spec.mac != nil else { return }
    if let member = try? netlink.link(named: spec.member)?.index {
      let copies = Self.neighbourReplyPreferences(spec.name)
      for preference in [Self.relayPreference(spec.name), copies.arp, copies.advertisement] {
        try? netlink.deleteFilter(index: member, hook: .ingress, preference: preference)
      }
    }
    if let fabric = try? fabricIndex(spec) {
      let preferences = Self.fabricPreferences(spec.name)
      try? netlink.deleteFilter(index: fabric, hook: .ingress, preference: preferences.source)
      try? netlink.deleteFilter(
        index: fabric, hook: .ingress, preference: preferences.destination)
    }
  }
}
