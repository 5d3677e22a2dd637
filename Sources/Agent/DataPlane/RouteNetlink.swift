#if canImport(Glibc)
  import Glibc
#endif

/// An IPv4 or IPv6 address with its prefix length, as a reth carries it ("192.0.2.1/24").
struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
  enum Family: Sendable, Hashable {
    case inet
    case inet6

    /// AF_INET or AF_INET6, as netlink's `ifa_family` wants it.
    var addressFamily: UInt8 { self == .inet ? UInt8(AF_INET) : UInt8(AF_INET6) }
    var byteCount: Int { self == .inet ? 4 : 16 }
  }

  var family: Family
  /// Network byte order: 4 or 16 bytes.
  var bytes: [UInt8]
  var prefixLength: UInt8

  init?(family: Family, bytes: [UInt8], prefixLength: UInt8) {
    guard bytes.count == family.byteCount, Int(prefixLength) <= family.byteCount * 8 else {
      return nil
    }
    self.family = family
    self.bytes = bytes
    self.prefixLength = prefixLength
  }

  /// "A/P"; without "/P" the host prefix (32 or 128).
  init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 1 || parts.count == 2 else { return nil }
    let address = String(parts[0])
    let family: Family = address.contains(":") ? .inet6 : .inet
    var buffer = [UInt8](repeating: 0, count: 16)
    let af = family == .inet ? AF_INET : AF_INET6
    guard inet_pton(af, address, &buffer) == 1 else { return nil }
    var length = UInt8(family.byteCount * 8)
    if parts.count == 2 {
      // Digits only: UInt8("+4") would accept a sign.
      guard !parts[1].isEmpty, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
        let parsed = UInt8(parts[1])
      else { return nil }
      length = parsed
    }
    self.init(family: family, bytes: Array(buffer.prefix(family.byteCount)), prefixLength: length)
  }

  /// The address alone, in the usual text form.
  var address: String {
    var text = [CChar](repeating: 0, count: 64)
    let af = family == .inet ? AF_INET : AF_INET6
    _ = bytes.withUnsafeBytes { inet_ntop(af, $0.baseAddress, &text, socklen_t(text.count)) }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  var description: String { "\(address)/\(prefixLength)" }

  /// fe80::/10: the kernel gives it link scope by itself.
  var isLinkLocal: Bool { family == .inet6 && bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 }
}

/// One link as RTM_NEWLINK describes it.
struct LinkRecord: Equatable, Sendable {
  var index: Int32
  var name: String
  /// `ifi_flags` (IFF_UP = 0x1, IFF_LOWER_UP = 0x10000, …).
  var flags: UInt32
  var mac: [UInt8]?
  /// IFLA_LINK: the parent of a macvlan/vlan/veth.
  var parentIndex: Int32?
  /// IFLA_INFO_KIND ("macvlan", "veth", …); nil for a physical port.
  var kind: String?

  var isAdministrativelyUp: Bool { flags & RouteNetlinkCodec.iffUp != 0 }
}

/// One address as RTM_NEWADDR/RTM_DELADDR describes it.
struct AddressRecord: Equatable, Sendable {
  var index: Int32
  var prefix: IPPrefix
  /// IFA_FLAGS when present (it carries the bits past 8), else `ifa_flags`.
  var flags: UInt32
  var scope: UInt8
  var deleted: Bool
}

enum RouteNetlinkError: Error, Equatable {
  /// The kernel refused `operation` with a (positive) errno: EEXIST, ENODEV, EADDRNOTAVAIL…
  case kernel(operation: String, errno: Int32)
  case system(call: String, errno: Int32)
  case timedOut(operation: String)
  /// A name longer than IFNAMSIZ-1 or a MAC that is not 6 bytes.
  case invalidArgument(String)
}

/// Pure request builders and reply parsers for rtnetlink (from <linux/netlink.h>,
/// <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>, which Glibc does not import).
/// Every integer is in host byte order, as netlink wants it.
enum RouteNetlinkCodec {
  static let headerLength = 16
  static let ifinfoLength = 16
  static let ifaddrLength = 8

  static let nlmsgError: UInt16 = 2
  static let nlmsgDone: UInt16 = 3
  static let newLink: UInt16 = 16
  static let delLink: UInt16 = 17
  static let getLink: UInt16 = 18
  static let newAddress: UInt16 = 20
  static let delAddress: UInt16 = 21
  static let getAddress: UInt16 = 22

  static let flagRequest: UInt16 = 0x1
  static let flagAck: UInt16 = 0x4
  static let flagDump: UInt16 = 0x300
  static let flagExclusive: UInt16 = 0x200
  static let flagCreate: UInt16 = 0x400

  static let iflaAddress: UInt16 = 1
  static let iflaName: UInt16 = 3
  static let iflaLink: UInt16 = 5
  static let iflaLinkInfo: UInt16 = 18
  static let iflaInfoKind: UInt16 = 1
  static let iflaInfoData: UInt16 = 2
  static let iflaMacvlanMode: UInt16 = 1

  static let ifaAddress: UInt16 = 1
  static let ifaLocal: UInt16 = 2
  static let ifaFlags: UInt16 = 8

  static let iffUp: UInt32 = 0x1
  /// IFA_F_NODAD: the address is usable at once, no duplicate address detection (the peer
  /// holds the same address while down, and DAD would only delay the takeover by ~1 s).
  static let ifaNoDAD: UInt32 = 0x02

  /// MACVLAN_MODE_*.
  enum MacvlanMode: UInt32, Sendable {
    case `private` = 1
    case vepa = 2
    case bridge = 4
  }

  // MARK: Builders

  /// One attribute, padded to 4 bytes (RTA_ALIGN).
  static func attribute(_ type: UInt16, _ data: [UInt8]) -> [UInt8] {
    var bytes = integer(UInt16(4 + data.count)) + integer(type) + data
    while bytes.count % 4 != 0 { bytes.append(0) }
    return bytes
  }

  static func integer<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
  }

  /// nlmsghdr + body (its length field covers everything).
  static func message(type: UInt16, flags: UInt16, sequence: UInt32, body: [UInt8]) -> [UInt8] {
    integer(UInt32(headerLength + body.count)) + integer(type) + integer(flags)
      + integer(sequence) + integer(UInt32(0)) + body
  }

  /// struct ifinfomsg.
  static func ifinfo(index: Int32, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
    [UInt8(AF_UNSPEC), 0] + integer(UInt16(0)) + integer(index) + integer(flags)
      + integer(change)
  }

  /// struct ifaddrmsg; the scope byte stays 0 (universe): the kernel derives IPv6 scopes itself.
  static func ifaddr(family: UInt8, prefixLength: UInt8, flags: UInt8, index: Int32) -> [UInt8] {
    [family, prefixLength, flags, 0] + integer(UInt32(bitPattern: index))
  }

  static func nameAttribute(_ name: String) throws -> [UInt8] {
    let utf8 = Array(name.utf8)
    guard !utf8.isEmpty, utf8.count < 16, !utf8.contains(0) else {
      throw RouteNetlinkError.invalidArgument("interface name \(name)")
    }
    return attribute(iflaName, utf8 + [0])
  }

  static func getLinkRequest(name: String, sequence: UInt32) throws -> [UInt8] {
    message(
      type: getLink, flags: flagRequest | flagAck, sequence: sequence,
      body: ifinfo(index: 0) + (try nameAttribute(name)))
  }

  /// RTM_NEWLINK creating a macvlan `name` on `parent` with `mac`. EXCL: an existing link of
  /// that name is an error (EEXIST), never silently reused with other settings.
  static func newMacvlanRequest(
    name: String, parent: Int32, mac: [UInt8], mode: MacvlanMode, sequence: UInt32
  ) throws -> [UInt8] {
    guard mac.count == 6 else { throw RouteNetlinkError.invalidArgument("MAC \(mac)") }
    // iproute2 sends the kind without its NUL; the kernel compares either form.
    let info =
      attribute(iflaInfoKind, Array("macvlan".utf8))
      + attribute(iflaInfoData, attribute(iflaMacvlanMode, integer(mode.rawValue)))
    let body =
      ifinfo(index: 0) + (try nameAttribute(name)) + attribute(iflaLink, integer(parent))
      + attribute(iflaAddress, mac) + attribute(iflaLinkInfo, info)
    return message(
      type: newLink, flags: flagRequest | flagAck | flagCreate | flagExclusive,
      sequence: sequence, body: body)
  }

  static func deleteLinkRequest(index: Int32, sequence: UInt32) -> [UInt8] {
    message(
      type: delLink, flags: flagRequest | flagAck, sequence: sequence, body: ifinfo(index: index))
  }

  /// Changes IFF_UP only (`ifi_change` masks the other flags out).
  static func setLinkRequest(index: Int32, up: Bool, sequence: UInt32) -> [UInt8] {
    message(
      type: newLink, flags: flagRequest | flagAck, sequence: sequence,
      body: ifinfo(index: index, flags: up ? iffUp : 0, change: iffUp))
  }

  static func setMACRequest(index: Int32, mac: [UInt8], sequence: UInt32) throws -> [UInt8] {
    guard mac.count == 6 else { throw RouteNetlinkError.invalidArgument("MAC \(mac)") }
    return message(
      type: newLink, flags: flagRequest | flagAck, sequence: sequence,
      body: ifinfo(index: index) + attribute(iflaAddress, mac))
  }

  /// RTM_NEWADDR (EXCL: an address already there answers EEXIST) or RTM_DELADDR. IFA_LOCAL and
  /// IFA_ADDRESS both carry the address (no peer), as `ip addr add` sends them. IFA_F_NOPREFIXROUTE
  /// is not set: the connected route comes with the address and goes with it.
  static func addressRequest(
    add: Bool, prefix: IPPrefix, index: Int32, noDAD: Bool, sequence: UInt32
  ) -> [UInt8] {
    let flags: UInt32 = noDAD ? ifaNoDAD : 0
    var body = ifaddr(
      family: prefix.family.addressFamily, prefixLength: prefix.prefixLength,
      flags: UInt8(truncatingIfNeeded: flags), index: index)
    body += attribute(ifaLocal, prefix.bytes) + attribute(ifaAddress, prefix.bytes)
    if add { body += attribute(ifaFlags, integer(flags)) }
    let requestFlags =
      add ? flagRequest | flagAck | flagCreate | flagExclusive : flagRequest | flagAck
    return message(
      type: add ? newAddress : delAddress, flags: requestFlags, sequence: sequence, body: body)
  }

  /// Every address of every link (the kernel filters by index only with strict checking on, so
  /// the caller filters).
  static func dumpAddressesRequest(sequence: UInt32) -> [UInt8] {
    message(
      type: getAddress, flags: flagRequest | flagDump, sequence: sequence,
      body: ifaddr(family: UInt8(AF_UNSPEC), prefixLength: 0, flags: 0, index: 0))
  }

  // MARK: Parsers

  /// The errno of an NLMSG_ERROR (0 for an acknowledgement); nil for other messages.
  static func errorCode(in bytes: [UInt8], _ message: LinkMonitor.Message) -> Int32? {
    guard message.type == nlmsgError else { return nil }
    guard message.payload.count >= 4,
      let code = load(Int32.self, bytes, at: message.payload.lowerBound)
    else { return EPROTO }
    return code == Int32.min ? Int32.max : -code
  }

  /// (type without the nesting/byte-order bits, data range) of each attribute in `range`.
  static func attributes(in bytes: [UInt8], _ range: Range<Int>) -> [(UInt16, Range<Int>)] {
    var result: [(UInt16, Range<Int>)] = []
    var offset = range.lowerBound
    while offset + 4 <= range.upperBound {
      guard let length16 = load(UInt16.self, bytes, at: offset),
        let type = load(UInt16.self, bytes, at: offset + 2)
      else { break }
      let length = Int(length16)
      guard length >= 4, length <= range.upperBound - offset else { break }
      result.append((type & 0x3FFF, (offset + 4)..<(offset + length)))
      offset += (length + 3) & ~3
    }
    return result
  }

  static func link(in bytes: [UInt8], _ message: LinkMonitor.Message) -> LinkRecord? {
    guard message.type == newLink, message.payload.count >= ifinfoLength else { return nil }
    let start = message.payload.lowerBound
    guard bytes[start] == UInt8(AF_UNSPEC), let index = load(Int32.self, bytes, at: start + 4),
      let flags = load(UInt32.self, bytes, at: start + 8)
    else { return nil }
    var record = LinkRecord(index: index, name: "", flags: flags)
    for (type, data) in attributes(in: bytes, (start + ifinfoLength)..<message.payload.upperBound) {
      switch type {
      case iflaName:
        record.name = String(decoding: bytes[data].prefix { $0 != 0 }, as: UTF8.self)
      case iflaAddress where data.count == 6:
        record.mac = Array(bytes[data])
      case iflaLink:
        record.parentIndex = load(Int32.self, bytes, at: data.lowerBound)
      case iflaLinkInfo:
        for (inner, kind) in attributes(in: bytes, data) where inner == iflaInfoKind {
          record.kind = String(decoding: bytes[kind].prefix { $0 != 0 }, as: UTF8.self)
        }
      default:
        break
      }
    }
    return record.name.isEmpty ? nil : record
  }

  static func address(in bytes: [UInt8], _ message: LinkMonitor.Message) -> AddressRecord? {
    guard message.type == newAddress || message.type == delAddress,
      message.payload.count >= ifaddrLength
    else { return nil }
    let start = message.payload.lowerBound
    let family: IPPrefix.Family
    switch Int32(bytes[start]) {
    case AF_INET: family = .inet
    case AF_INET6: family = .inet6
    default: return nil
    }
    guard let index = load(UInt32.self, bytes, at: start + 4) else { return nil }
    var flags = UInt32(bytes[start + 2])
    var local: [UInt8]?
    var address: [UInt8]?
    for (type, data) in attributes(in: bytes, (start + ifaddrLength)..<message.payload.upperBound) {
      switch type {
      case ifaLocal: local = Array(bytes[data])
      case ifaAddress: address = Array(bytes[data])
      case ifaFlags: if let wide = load(UInt32.self, bytes, at: data.lowerBound) { flags = wide }
      default: break
      }
    }
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point
    // links, and the only one IPv6 sends.
    guard let chosen = local ?? address,
      let prefix = IPPrefix(family: family, bytes: chosen, prefixLength: bytes[start + 1])
    else { return nil }
    return AddressRecord(
      index: Int32(bitPattern: index), prefix: prefix, flags: flags, scope: bytes[start + 3],
      deleted: message.type == delAddress)
  }

  static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T? {
    guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return nil }
    return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
  }
}

/// A request socket for rtnetlink: one request at a time, each answered before the next is sent
/// (the kernel handles a request synchronously, so the ACK means "done").
///
/// Not Sendable on purpose: one owner sends and reads, like `ICMPEchoSocket`. The socket keeps
/// the network namespace of the thread that created it.
final class RouteNetlink {
  private(set) var fd: Int32
  /// Our netlink port id: address notifications carry it when we asked for the change, which
  /// lets the watchdog tell our own changes from someone else's.
  let portID: UInt32
  private var sequence = UInt32.random(in: 1...0x7FFF_FFFF)

  init() throws {
    let (fd, port) = try Self.openSocket(groups: 0)
    self.fd = fd
    self.portID = port
  }

  deinit { close() }

  func close() {
    guard fd >= 0 else { return }
    Glibc.close(fd)
    fd = -1
  }

  /// An AF_NETLINK/NETLINK_ROUTE socket bound to `groups` (RTMGRP_* bits), with its port id.
  static func openSocket(groups: UInt32) throws -> (Int32, UInt32) {
    let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw RouteNetlinkError.system(call: "socket", errno: errno) }
    var address = sockaddr_storage()
    withUnsafeMutableBytes(of: &address) { raw in
      raw.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
      raw.storeBytes(of: groups, toByteOffset: 8, as: UInt32.self)
    }
    var length = socklen_t(12)  // struct sockaddr_nl
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
      }
    }
    guard bound == 0 else {
      let error = errno
      Glibc.close(fd)
      throw RouteNetlinkError.system(call: "bind", errno: error)
    }
    let port = withUnsafeBytes(of: &address) {
      $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    }
    return (fd, port)
  }

  func nextSequence() -> UInt32 {
    sequence = sequence == UInt32.max ? 1 : sequence + 1
    return sequence
  }

  // MARK: Operations

  /// The link called `name`, or nil when there is none.
  func link(named name: String) throws -> LinkRecord? {
    let seq = nextSequence()
    return try getLink(
      try RouteNetlinkCodec.getLinkRequest(name: name, sequence: seq), sequence: seq,
      operation: "get link \(name)")
  }

  func linkIndex(named name: String) throws -> Int32? { try link(named: name)?.index }

  /// The link with `index`, or nil when there is none.
  func link(index: Int32) throws -> LinkRecord? {
    let seq = nextSequence()
    let request = RouteNetlinkCodec.message(
      type: RouteNetlinkCodec.getLink,
      flags: RouteNetlinkCodec.flagRequest | RouteNetlinkCodec.flagAck, sequence: seq,
      body: RouteNetlinkCodec.ifinfo(index: index))
    return try getLink(request, sequence: seq, operation: "get link \(index)")
  }

  private func getLink(_ request: [UInt8], sequence: UInt32, operation: String) throws
    -> LinkRecord?
  {
    do {
      let replies = try transact(request, sequence: sequence, operation: operation)
      return replies.compactMap { RouteNetlinkCodec.link(in: $0.bytes, $0.message) }.first
    } catch RouteNetlinkError.kernel(_, let code) where code == ENODEV {
      return nil
    }
  }

  /// Creates a macvlan. Bridge mode: see `RethController`.
  func createMacvlan(
    name: String, parent: Int32, mac: [UInt8], mode: RouteNetlinkCodec.MacvlanMode = .bridge
  ) throws {
    let seq = nextSequence()
    _ = try transact(
      try RouteNetlinkCodec.newMacvlanRequest(
        name: name, parent: parent, mac: mac, mode: mode, sequence: seq),
      sequence: seq, operation: "create \(name)")
  }

  func deleteLink(index: Int32) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.deleteLinkRequest(index: index, sequence: seq), sequence: seq,
      operation: "delete link \(index)")
  }

  func setLink(index: Int32, up: Bool) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.setLinkRequest(index: index, up: up, sequence: seq), sequence: seq,
      operation: "set link \(index) \(up ? "up" : "down")")
  }

  func setMAC(index: Int32, mac: [UInt8]) throws {
    let seq = nextSequence()
    _ = try transact(
      try RouteNetlinkCodec.setMACRequest(index: index, mac: mac, sequence: seq), sequence: seq,
      operation: "set MAC of \(index)")
  }

  /// Adds an address; throws `.kernel(errno: EEXIST)` when it is already there.
  func addAddress(_ prefix: IPPrefix, index: Int32, noDAD: Bool) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.addressRequest(
        add: true, prefix: prefix, index: index, noDAD: noDAD, sequence: seq),
      sequence: seq, operation: "add \(prefix)")
  }

  /// Deletes an address; throws `.kernel(errno: EADDRNOTAVAIL)` when it is not there.
  func deleteAddress(_ prefix: IPPrefix, index: Int32) throws {
    let seq = nextSequence()
    _ = try transact(
      RouteNetlinkCodec.addressRequest(
        add: false, prefix: prefix, index: index, noDAD: false, sequence: seq),
      sequence: seq, operation: "delete \(prefix)")
  }

  /// The addresses of link `index` (both families).
  func addresses(index: Int32) throws -> [AddressRecord] {
    try allAddresses().filter { $0.index == index }
  }

  /// Every address of every link.
  func allAddresses() throws -> [AddressRecord] {
    let seq = nextSequence()
    let replies = try transact(
      RouteNetlinkCodec.dumpAddressesRequest(sequence: seq), sequence: seq,
      operation: "dump addresses", dump: true)
    return replies.compactMap { RouteNetlinkCodec.address(in: $0.bytes, $0.message) }
  }

  // MARK: Transport

  struct Reply {
    var bytes: [UInt8]
    var message: LinkMonitor.Message
  }

  /// Sends one request and collects the replies carrying its sequence number, up to the ACK
  /// (or NLMSG_DONE for a dump). An NLMSG_ERROR with a non-zero code throws it.
  func transact(
    _ request: [UInt8], sequence: UInt32, operation: String, dump: Bool = false
  ) throws -> [Reply] {
    guard fd >= 0 else { throw RouteNetlinkError.system(call: "send", errno: EBADF) }
    var kernel = sockaddr_storage()
    kernel.ss_family = sa_family_t(AF_NETLINK)
    while true {
      let sent = request.withUnsafeBytes { raw in
        withUnsafePointer(to: &kernel) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, raw.baseAddress, raw.count, 0, $0, 12)
          }
        }
      }
      if sent == request.count { break }
      if sent < 0 && errno == EINTR { continue }
      throw RouteNetlinkError.system(call: "sendto", errno: sent < 0 ? errno : EMSGSIZE)
    }
    // The kernel answers before sendto returns for everything but a long dump; the bound only
    // keeps a wedged socket from hanging the data plane.
    let deadline = ContinuousClock.now.advanced(by: .seconds(5))
    var replies: [Reply] = []
    while true {
      let bytes = try receive(until: deadline, operation: operation)
      for message in LinkMonitor.messages(in: bytes) where message.sequence == sequence {
        if let code = RouteNetlinkCodec.errorCode(in: bytes, message) {
          if code != 0 { throw RouteNetlinkError.kernel(operation: operation, errno: code) }
          if !dump { return replies }
          continue
        }
        if message.type == RouteNetlinkCodec.nlmsgDone {
          if message.payload.count >= 4,
            let code = RouteNetlinkCodec.load(Int32.self, bytes, at: message.payload.lowerBound),
            code < 0
          {
            throw RouteNetlinkError.kernel(operation: operation, errno: -code)
          }
          return replies
        }
        replies.append(Reply(bytes: bytes, message: message))
      }
    }
  }

  private func receive(until deadline: ContinuousClock.Instant, operation: String) throws
    -> [UInt8]
  {
    while true {
      let remaining = ContinuousClock.now.duration(to: deadline)
      guard remaining > .zero else { throw RouteNetlinkError.timedOut(operation: operation) }
      var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let (seconds, attoseconds) = remaining.components
      // Rounded up: returning a hair early would only cost another loop.
      let millis = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
      let ready = poll(&pfd, 1, millis)
      if ready < 0 {
        if errno == EINTR { continue }
        throw RouteNetlinkError.system(call: "poll", errno: errno)
      }
      if ready == 0 { continue }
      // Peek at the true size first so that no dump part is ever cut short.
      let size = recv(fd, nil, 0, Int32(MSG_PEEK) | Int32(MSG_TRUNC) | Int32(MSG_DONTWAIT))
      if size < 0 {
        if errno == EAGAIN || errno == EINTR { continue }
        throw RouteNetlinkError.system(call: "recv", errno: errno)
      }
      var buffer = [UInt8](repeating: 0, count: max(size, 1))
      let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
      if count < 0 {
        if errno == EAGAIN || errno == EINTR { continue }
        throw RouteNetlinkError.system(call: "recv", errno: errno)
      }
      return Array(buffer.prefix(count))
    }
  }
}
