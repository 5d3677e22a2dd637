#if canImport(Glibc)
  import Glibc
#endif

enum ICMPEchoError: Error, Equatable {
  /// Not an address of the family asked for.
  case invalidAddress(String)
  /// A system call failed; `bind` answers EADDRNOTAVAIL when the source address is not local.
  case system(call: String, errno: Int32)
}

/// One ICMP echo request in flight: what its reply must carry.
struct EchoRequest: Equatable, Sendable {
  var destination: ICMPAddress
  var sequence: UInt16
  var token: [UInt8]
}

/// One echo reply read from the socket: who answered, and the request it answers.
struct EchoReply: Equatable, Sendable {
  var source: ICMPAddress
  var sequence: UInt16
  var token: [UInt8]
}

/// An ICMP (IPv4) or ICMPv6 echo socket shared by every ip-monitoring address of its family
/// with the same source: one socket and one thread serve them all, so a raw socket's copy of
/// every ICMP packet of the host wakes one reader, not one per address.
///
/// Not Sendable on purpose: one owner sends and reads. Create it on the thread that uses it.
final class ICMPEchoSocket {
  enum SocketKind: String, Sendable, Equatable {
    /// `SOCK_DGRAM, IPPROTO_ICMP(V6)`: needs no privilege, only a gid in
    /// `net.ipv4.ping_group_range` (which governs IPv6 too); the kernel picks the identifier
    /// and the checksum.
    case datagram
    /// `SOCK_RAW, IPPROTO_ICMP(V6)`: needs CAP_NET_RAW; sees every ICMP packet of the host
    /// (IPv4, with the IP header) or every ICMPv6 packet its filter passes (IPv6, without).
    /// The kernel computes the ICMPv6 checksum, never the ICMP one.
    case raw
  }

  /// Request payload: a fresh random token per request, so a late reply to an earlier request,
  /// or someone else's echo that shares identifier and sequence, can't be taken for this one.
  static let tokenLength = 16

  /// The kind actually in use.
  let kind: SocketKind
  let family: ICMPAddress.Family
  private(set) var fd: Int32
  /// Ours on raw sockets; on datagram sockets the kernel sets and filters it.
  private let identifier: UInt16
  private var sequence: UInt16 = 0
  private var buffer = [UInt8](repeating: 0, count: 1500)

  /// - Parameters:
  ///   - family: the family of the destinations, and of `source`.
  ///   - source: a local address to send from; the init throws when it is not local or not of
  ///     `family`.
  ///   - kind: nil tries a datagram socket and falls back to a raw one when refused.
  init(family: ICMPAddress.Family = .inet, source: String? = nil, kind: SocketKind? = nil) throws {
    let sourceAddress = try source.map { try Self.address($0, family: family) }
    let opened: (fd: Int32, kind: SocketKind)
    switch kind {
    case .some(let kind):
      opened = (try Self.open(kind, family: family), kind)
    case nil:
      do {
        opened = (try Self.open(.datagram, family: family), .datagram)
      } catch ICMPEchoError.system(_, let error) where Self.refusals.contains(error) {
        opened = (try Self.open(.raw, family: family), .raw)
      }
    }
    if let sourceAddress {
      let bound = sourceAddress.withSocketAddress { bind(opened.fd, $0, $1) }
      guard bound == 0 else {
        let error = errno
        Glibc.close(opened.fd)
        throw ICMPEchoError.system(call: "bind", errno: error)
      }
    }
    self.fd = opened.fd
    self.kind = opened.kind
    self.family = family
    self.identifier = UInt16.random(in: 1...UInt16.max)
  }

  deinit { close() }

  func close() {
    guard fd >= 0 else { return }
    Glibc.close(fd)
    fd = -1
  }

  /// Sends one echo request. Nil on a send error (ENETUNREACH, …), for a destination of the
  /// other family and after `close()`.
  func send(to destination: ICMPAddress) -> EchoRequest? {
    guard fd >= 0, destination.family == family else { return nil }
    sequence &+= 1
    var token: [UInt8] = []
    for _ in 0..<(Self.tokenLength / 8) {
      withUnsafeBytes(of: UInt64.random(in: 0...UInt64.max)) { token += $0 }
    }
    let packet = Self.echoRequest(
      family: family, identifier: identifier, sequence: sequence, token: token,
      checksum: kind == .raw)
    while true {
      let sent = packet.withUnsafeBytes { raw in
        destination.withSocketAddress { sendto(fd, raw.baseAddress, raw.count, 0, $0, $1) }
      }
      if sent < 0 && errno == EINTR { continue }
      guard sent == packet.count else { return nil }
      return EchoRequest(destination: destination, sequence: sequence, token: token)
    }
  }

  /// Every echo reply queued on the socket, without blocking. On a raw socket most packets
  /// belong to other processes; only replies to this socket's requests are returned.
  func receiveReplies() -> [EchoReply] {
    guard fd >= 0 else { return [] }
    var replies: [EchoReply] = []
    while true {
      var from = sockaddr_storage()
      var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let count = buffer.withUnsafeMutableBytes { raw in
        withUnsafeMutablePointer(to: &from) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            recvfrom(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &fromLength)
          }
        }
      }
      if count < 0 {
        if errno == EINTR { continue }
        // EAGAIN, or an error queued by an ICMP error for an earlier request: done for now.
        return replies
      }
      let packet = Array(buffer.prefix(min(count, buffer.count)))
      // Only raw IPv4 sockets deliver the IP header.
      if let (sequence, token) = Self.parseReply(
        packet, family: family, includesIPHeader: kind == .raw && family == .inet,
        identifier: kind == .raw ? identifier : nil),
        let source = ICMPAddress(from)
      {
        replies.append(EchoReply(source: source, sequence: sequence, token: token))
      }
    }
  }

  // MARK: - Packets

  /// An echo request; datagram sockets fill in identifier and checksum themselves. `checksum`
  /// applies to ICMP only: the kernel computes every ICMPv6 checksum (it covers a pseudo-header
  /// with the source address the kernel picks).
  static func echoRequest(
    family: ICMPAddress.Family = .inet, identifier: UInt16, sequence: UInt16, token: [UInt8],
    checksum: Bool
  ) -> [UInt8] {
    var packet: [UInt8] = [family.echoRequestType, 0, 0, 0]  // code 0, checksum placeholder
    packet += [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]
    packet += [UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    packet += token
    if checksum && family == .inet {
      let sum = internetChecksum(packet)
      packet[2] = UInt8(sum >> 8)
      packet[3] = UInt8(sum & 0xFF)
    }
    return packet
  }

  /// The sequence and token of `packet` when it is an echo reply to this socket. Raw sockets
  /// deliver every ICMP packet of the host, and on IPv4 the IP header too, so there the
  /// identifier and checksum matter as well. Raw ICMPv6 sockets deliver the ICMPv6 message
  /// alone, and the kernel drops those with a bad checksum when they are read.
  static func parseReply(
    _ packet: [UInt8], family: ICMPAddress.Family = .inet, includesIPHeader: Bool,
    identifier: UInt16?
  ) -> (sequence: UInt16, token: [UInt8])? {
    var start = 0
    if includesIPHeader {
      guard family == .inet else { return nil }
      guard let first = packet.first, first >> 4 == 4, packet.count > 9, packet[9] == 1
      else { return nil }
      start = Int(first & 0x0F) * 4
      guard start >= 20 else { return nil }
    }
    guard packet.count - start >= 8 + tokenLength else { return nil }
    let icmp = Array(packet[start...])
    guard icmp[0] == family.echoReplyType, icmp[1] == 0 else { return nil }
    if let identifier, UInt16(icmp[4]) << 8 | UInt16(icmp[5]) != identifier { return nil }
    // The kernel checks the sum before a datagram socket sees a reply, not before a raw one.
    if includesIPHeader && internetChecksum(icmp) != 0 { return nil }
    return (UInt16(icmp[6]) << 8 | UInt16(icmp[7]), Array(icmp[8..<(8 + tokenLength)]))
  }

  /// Whether `packet` is the echo reply to the request with `sequence` and `token`.
  static func isReply(
    _ packet: [UInt8], family: ICMPAddress.Family = .inet, includesIPHeader: Bool,
    identifier: UInt16?, sequence: UInt16, token: [UInt8]
  ) -> Bool {
    guard
      let reply = parseReply(
        packet, family: family, includesIPHeader: includesIPHeader, identifier: identifier)
    else { return false }
    return reply.sequence == sequence && reply.token == token
  }

  /// RFC 1071 one's-complement sum, as stored big-endian in the header (0 over a valid packet).
  static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < bytes.count {
      sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
      index += 2
    }
    if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
  }

  // MARK: - Sockets

  /// Errors that mean "this socket kind is not for us", so the raw kind is worth a try.
  private static let refusals: Set<Int32> = [
    EACCES, EPERM, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EAFNOSUPPORT,
  ]

  private static func open(_ kind: SocketKind, family: ICMPAddress.Family) throws -> Int32 {
    let type = kind == .raw ? SOCK_RAW : SOCK_DGRAM
    let fd = socket(
      family.domain,
      Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
      Int32(family == .inet ? IPPROTO_ICMP : IPPROTO_ICMPV6))
    guard fd >= 0 else { throw ICMPEchoError.system(call: "socket", errno: errno) }
    guard kind == .raw else { return fd }
    // A bit per type to drop, so the thread wakes for echo replies only.
    let filtered: Int32
    switch family {
    case .inet:
      // ICMP_FILTER (linux/icmp.h) on SOL_RAW: one 32-bit mask for types 0...31.
      var blocked = ~(UInt32(1) << family.echoReplyType)
      filtered = setsockopt(fd, SOL_RAW, 1, &blocked, socklen_t(MemoryLayout<UInt32>.size))
    case .inet6:
      // ICMP6_FILTER (netinet/icmp6.h) on IPPROTO_ICMPV6: 256 bits, word type >> 5, bit type & 31.
      var blocked = [UInt32](repeating: .max, count: 8)
      let type = Int(family.echoReplyType)
      blocked[type >> 5] &= ~(UInt32(1) << (type & 31))
      filtered = setsockopt(
        fd, Int32(IPPROTO_ICMPV6), 1, &blocked, socklen_t(blocked.count * 4))
    }
    guard filtered == 0 else {
      let error = errno
      Glibc.close(fd)
      throw ICMPEchoError.system(call: "setsockopt(ICMP_FILTER)", errno: error)
    }
    return fd
  }

  /// An address of `family` (IPv4 unless told), in network byte order.
  static func address(_ text: String, family: ICMPAddress.Family = .inet) throws(ICMPEchoError)
    -> ICMPAddress
  {
    try ICMPAddress(text, family: family)
  }

  static func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: max(millis, 0))
  }
}

extension EchoRequest {
  func isAnswered(by reply: EchoReply) -> Bool {
    reply.source == destination && reply.sequence == sequence && reply.token == token
  }
}
