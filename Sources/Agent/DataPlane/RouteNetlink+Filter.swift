#if canImport(Glibc)
  import Glibc
#endif

/// tc filters for the fabric handover (`RethController+Handover.swift`): a `clsact` qdisc and
/// u32 filters that match a MAC and redirect the frame out of another link (`mirred egress
/// redirect`), or pass it. u32 and mirred are in every kernel since 2.6; flower, pedit and
/// skbedit are modules that many hosts (this kernel among them) lack.
///
/// u32 offsets count from the network header at ingress and at egress alike, so the Ethernet
/// header lies at -14 (destination) and -8 (source); keys are 32-bit words, aligned.
extension RouteNetlinkCodec {
  static let newFilter: UInt16 = 44
  static let delFilter: UInt16 = 45
  static let tcaOptions: UInt16 = 2
  /// TC_H_CLSACT: the clsact qdisc's parent, and its handle `ffff:`.
  static let clsactParent: UInt32 = 0xFFFF_FFF1
  static let clsactHandle: UInt32 = 0xFFFF_0000
  static let u32ClassID: UInt16 = 1
  static let u32Selector: UInt16 = 5
  static let u32Actions: UInt16 = 7
  static let actKind: UInt16 = 1
  static let actOptions: UInt16 = 2
  static let mirredParameters: UInt16 = 2
  static let actionStolen: Int32 = 4
  static let egressRedirect: Int32 = 1

  static let ethernetAll: UInt16 = 0x0003
  static let u32Terminal: UInt8 = 1

  /// Where on a link a filter sits.
  enum FilterHook: Sendable {
    case ingress, egress
    /// TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS / TC_H_MIN_EGRESS).
    var parent: UInt32 {
      switch self {
      case .ingress: 0xFFFF_FFF2
      case .egress: 0xFFFF_FFF3
      }
    }
  }

  /// Which frames a filter takes.
  enum FrameMatch: Equatable, Sendable {
    case destination([UInt8])
    case source([UInt8])
    /// An ARP frame to this MAC (a reply to a request sent with it).
    case arpTo([UInt8])
    /// An IPv6 neighbour advertisement to this MAC (no extension headers, as ND sends them).
    case neighbourAdvertisementTo([UInt8])
    case all

    /// struct tc_u32_key list: (mask, value, offset), mask and value big-endian words.
    var keys: [(mask: UInt32, value: UInt32, offset: Int32)] {
      func word(_ b: [UInt8]) -> UInt32 { b.reduce(0) { $0 << 8 | UInt32($1) } }
      switch self {
      case .all: return [(0, 0, 0)]
      case .destination(let mac):
        return [
          (0x0000_FFFF, word(Array(mac[0..<2])), -16), (0xFFFF_FFFF, word(Array(mac[2..<6])), -12),
        ]
      case .source(let mac):
        return [
          (0xFFFF_FFFF, word(Array(mac[0..<4])), -8),
          (0xFFFF_0000, word(Array(mac[4..<6])) << 16, -4),
        ]
      case .arpTo(let mac):
        return FrameMatch.destination(mac).keys + [(0x0000_FFFF, 0x0806, -4)]
      case .neighbourAdvertisementTo(let mac):
        // EtherType 0x86DD, next header 58 (ICMPv6), ICMPv6 type 136.
        return FrameMatch.destination(mac).keys + [
          (0x0000_FFFF, 0x86DD, -4), (0x0000_FF00, 58 << 8, 4), (0xFF00_0000, 136 << 24, 40),
        ]
      }
    }
  }

  /// What a filter does with a frame it takes.
  enum FilterVerdict: Equatable, Sendable {
    /// Out of link `index`, as if sent there (`mirred egress redirect`).
    case redirect(to: Int32)
    /// On as if no filter of ours were there (a classid, no action: TC_ACT_OK).
    case pass
  }

  /// struct tcmsg.
  static func tcmsg(index: Int32, handle: UInt32, parent: UInt32, info: UInt32) -> [UInt8] {
    [UInt8(AF_UNSPEC), 0, 0, 0] + integer(index) + integer(handle) + integer(parent)
      + integer(info)
  }

  /// tcm_info of a filter: its preference and protocol (ETH_P_ALL, network order).
  static func filterInfo(preference: UInt16) -> UInt32 {
    UInt32(preference) << 16 | UInt32(ethernetAll.bigEndian)
  }

  /// RTM_NEWQDISC adding `clsact`; EEXIST when there is one (ours or the operator's: either
  /// carries our filters).
  static func addClsactRequest(index: Int32, sequence: UInt32) -> [UInt8] {
    message(
      type: newQdisc, flags: flagRequest | flagAck | flagCreate | flagExclusive,
      sequence: sequence,
      body: tcmsg(index: index, handle: clsactHandle, parent: clsactParent, info: 0)
        + attribute(tcaKind, Array("clsact".utf8) + [0]))
  }

  /// RTM_DELQDISC of `clsact`: every filter on it goes too.
  static func deleteClsactRequest(index: Int32, sequence: UInt32) -> [UInt8] {
    message(
      type: delQdisc, flags: flagRequest | flagAck, sequence: sequence,
      body: tcmsg(index: index, handle: clsactHandle, parent: clsactParent, info: 0))
  }

  /// struct tc_u32_sel with its keys; terminal: a match ends the classification.
  static func u32Selector(_ match: FrameMatch) -> [UInt8] {
    let keys = match.keys
    var bytes: [UInt8] = [u32Terminal, 0, UInt8(keys.count), 0]
    bytes += integer(UInt16(0)) + integer(UInt16(0)) + integer(Int16(0)) + integer(Int16(0))
    bytes += integer(UInt32(0))
    for key in keys {
      bytes +=
        integer(key.mask.bigEndian) + integer(key.value.bigEndian) + integer(key.offset)
        + integer(Int32(0))
    }
    return bytes
  }

  /// struct tc_mirred: steal the frame and send it out of `index`.
  static func mirredRedirect(to index: Int32) -> [UInt8] {
    integer(UInt32(0)) + integer(UInt32(0)) + integer(actionStolen) + integer(Int32(0))
      + integer(Int32(0)) + integer(egressRedirect) + integer(UInt32(bitPattern: index))
  }

  /// RTM_NEWTFILTER: a u32 filter at `preference` on link `index`'s `hook`.
  static func addFilterRequest(
    index: Int32, hook: FilterHook, preference: UInt16, match: FrameMatch,
    verdict: FilterVerdict, sequence: UInt32
  ) -> [UInt8] {
    var options = attribute(u32Selector, u32Selector(match))
    switch verdict {
    case .pass:
      options += attribute(u32ClassID, integer(UInt32(0x0001_0001)))
    case .redirect(let target):
      let action =
        attribute(actKind, Array("mirred".utf8) + [0])
        + attribute(actOptions, attribute(mirredParameters, mirredRedirect(to: target)))
      options += attribute(u32Actions, attribute(1, action))
    }
    return message(
      type: newFilter, flags: flagRequest | flagAck | flagCreate | flagExclusive,
      sequence: sequence,
      body: tcmsg(
        index: index, handle: 0, parent: hook.parent, info: filterInfo(preference: preference))
        + attribute(tcaKind, Array("u32".utf8) + [0]) + attribute(tcaOptions, options))
  }

  /// RTM_DELTFILTER: every filter at `preference` on link `index`'s `hook`.
  static func deleteFilterRequest(
    index: Int32, hook: FilterHook, preference: UInt16, sequence: UInt32
  ) -> [UInt8] {
    message(
      type: delFilter, flags: flagRequest | flagAck, sequence: sequence,
      body: tcmsg(
        index: index, handle: 0, parent: hook.parent, info: filterInfo(preference: preference)))
  }
}

extension RouteNetlink {
  /// A clsact qdisc on link `index`; one already there is kept. True when it was added.
  @discardableResult
  func ensureClsact(index: Int32) throws -> Bool {
    let seq = nextSequence()
    do {
      _ = try transact(
        RouteNetlinkCodec.addClsactRequest(index: index, sequence: seq), sequence: seq,
        operation: "add clsact on \(index)")
      return true
    } catch RouteNetlinkError.kernel(_, let code) where code == EEXIST {
      return false
    }
  }

  /// Removes link `index`'s clsact and its filters; none there is no error.
  func deleteClsact(index: Int32) throws {
    let seq = nextSequence()
    do {
      _ = try transact(
        RouteNetlinkCodec.deleteClsactRequest(index: index, sequence: seq), sequence: seq,
        operation: "delete clsact of \(index)")
    } catch RouteNetlinkError.kernel(_, let code) where code == ENOENT || code == EINVAL {
      return
    }
  }

  /// The filter at `preference` on `hook`, replacing whatever sat there (one per preference:
  /// a restarted agent's leftover is not doubled).
  func setFilter(
    index: Int32, hook: RouteNetlinkCodec.FilterHook, preference: UInt16,
    match: RouteNetlinkCodec.FrameMatch, verdict: RouteNetlinkCodec.FilterVerdict
  ) throws {
    try deleteFilter(index: index, hook: hook, preference: preference)
    try addFilter(index: index, hook: hook, preference: preference, match: match, verdict: verdict)
  }

  /// Adds the filter at `preference` (one there already gets a second beside it).
  func addFilter(
    index: Int32, hook: RouteNetlinkCodec.FilterHook, preference: UInt16,
    match: RouteNetlinkCodec.FrameMatch, verdict: RouteNetlinkCodec.FilterVerdict
  ) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.addFilterRequest(
        index: index, hook: hook, preference: preference, match: match, verdict: verdict,
        sequence: seq),
      sequence: seq, operation: "add filter \(preference) on \(index)")
  }

  /// Removes the filters at `preference` on `hook`; none there (or no clsact) is no error.
  func deleteFilter(index: Int32, hook: RouteNetlinkCodec.FilterHook, preference: UInt16) throws {
    let seq = nextSequence()
    do {
      _ = try transact(
        RouteNetlinkCodec.deleteFilterRequest(
          index: index, hook: hook, preference: preference, sequence: seq),
        sequence: seq, operation: "delete filter \(preference) on \(index)")
    } catch RouteNetlinkError.kernel(_, let code) where code == ENOENT || code == EINVAL {
      return
    }
  }

  /// The link holding `address` (any prefix length), or nil.
  func index(holding address: [UInt8]) throws -> Int32? {
    try allAddresses().first { $0.prefix.bytes == address }?.index
  }
}

/// Deprecated addresses: how a reth that is handing over shows it. The address still works
/// (connected route, forwarding, answers), new connections prefer other sources, and `ip addr`
/// and the samplers in the tests and the soak tell it from an owner's.
extension RouteNetlinkCodec {
  static let ifaCacheInfo: UInt16 = 6
  static let ifaDeprecated: UInt32 = 0x20
  static let forever: UInt32 = 0xFFFF_FFFF

  /// RTM_NEWADDR replacing an existing address's preferred lifetime: 0 (deprecated) or
  /// forever; valid forever either way.
  static func preferredLifetimeRequest(
    prefix: IPPrefix, index: Int32, deprecated: Bool, sequence: UInt32
  ) -> [UInt8] {
    let flags: UInt32 = prefix.family == .inet6 ? ifaNoDAD : 0
    var body = ifaddr(
      family: prefix.family.addressFamily, prefixLength: prefix.prefixLength,
      flags: UInt8(truncatingIfNeeded: flags), index: index)
    body += attribute(ifaLocal, prefix.bytes) + attribute(ifaAddress, prefix.bytes)
    body += attribute(ifaFlags, integer(flags))
    body += attribute(
      ifaCacheInfo,
      integer(deprecated ? UInt32(0) : forever) + integer(forever) + integer(UInt32(0))
        + integer(UInt32(0)))
    return message(
      type: newAddress, flags: flagRequest | flagAck | flagReplace, sequence: sequence,
      body: body)
  }
}

extension RouteNetlink {
  /// Deprecates (or undeprecates) an address that is there.
  func setDeprecated(_ prefix: IPPrefix, index: Int32, _ deprecated: Bool) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.preferredLifetimeRequest(
        prefix: prefix, index: index, deprecated: deprecated, sequence: seq),
      sequence: seq, operation: "\(deprecated ? "deprecate" : "undeprecate") \(prefix)")
  }
}
