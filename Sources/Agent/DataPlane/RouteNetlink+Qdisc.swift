#if canImport(Glibc)
  import Glibc
#endif

/// Root qdiscs: how a reth stops sending at once. A blackhole root qdisc drops every frame the
/// reth would send and is in place when the request is acknowledged (≈ 0.1 ms), whereas
/// setting a macvlan down waits for an RCU grace period in `macvlan_stop` while holding the
/// rtnl lock (4–30 ms measured, every other link and address change on the host waiting too).
extension RouteNetlinkCodec {
  static let newQdisc: UInt16 = 36
  static let delQdisc: UInt16 = 37
  static let flagReplace: UInt16 = 0x100
  static let tcaKind: UInt16 = 1
  /// TC_H_ROOT.
  static let rootParent: UInt32 = 0xFFFF_FFFF

  /// struct tcmsg for the root qdisc of link `index` (handle 0: the kernel picks one).
  static func rootTC(index: Int32) -> [UInt8] {
    tcmsg(index: index, handle: 0, parent: rootParent, info: 0)
  }

  /// RTM_NEWQDISC replacing the root qdisc with `blackhole`.
  static func blackholeRootRequest(index: Int32, sequence: UInt32) -> [UInt8] {
    message(
      type: newQdisc, flags: flagRequest | flagAck | flagCreate | flagReplace,
      sequence: sequence,
      body: rootTC(index: index) + attribute(tcaKind, Array("blackhole".utf8) + [0]))
  }

  /// RTM_DELQDISC of the root qdisc: the link gets its default back (noqueue for a macvlan).
  static func deleteRootQdiscRequest(index: Int32, sequence: UInt32) -> [UInt8] {
    message(
      type: delQdisc, flags: flagRequest | flagAck, sequence: sequence,
      body: rootTC(index: index))
  }
}

extension RouteNetlink {
  /// Every frame sent on link `index` is dropped from the acknowledgement on.
  func setBlackholeRoot(index: Int32) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.blackholeRootRequest(index: index, sequence: seq), sequence: seq,
      operation: "blackhole qdisc on \(index)")
  }

  /// Removes the root qdisc we set; nothing to do (ENOENT: the default is there) is no error.
  func deleteRootQdisc(index: Int32) throws {
    let seq = nextSequence()
    do {
      _ = try transact(
        RouteNetlinkCodec.deleteRootQdiscRequest(index: index, sequence: seq), sequence: seq,
        operation: "delete root qdisc of \(index)")
    } catch RouteNetlinkError.kernel(_, let code) where code == ENOENT {
      return
    }
  }
}
