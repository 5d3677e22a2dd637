#if canImport(Glibc)
  import Glibc
#endif

enum ICMPEchoError: Error, Equatable {
  /// Not a dotted-quad IPv4 address.
  case invalidAddress(String)
  /// A system call failed; `bind` answers EADDRNOTAVAIL when the source address is not local.
  case system(call: String, errno: Int32)
}

/// One ICMP echo request in flight: what its reply must carry.
struct EchoRequest: Equatable, Sendable {
  var destination: in_addr_t
  var sequence: UInt16
  var token: [UInt8]
}

/// One echo reply read from the socket: who answered, and the request it answers.
struct EchoReply: Equatable, Sendable {
  var source: in_addr_t
  var sequence: UInt16
  var token: [UInt8]
}

/// An ICMP echo socket (IPv4 only) shared by every ip-monitoring address with the same source:
/// one socket and one thread serve them all, so a raw socket's copy of every ICMP packet of the
/// host wakes one reader, not one per address.
///
/// Not Sendable on purpose: one owner sends and reads. Create it on the thread that uses it.
final class ICMPEchoSocket {
  enum SocketKind: String, Sendable, Equatable {
    /// `SOCK_DGRAM, IPPROTO_ICMP`: needs no privilege, only a gid in
    /// `net.ipv4.ping_group_range`; the kernel picks the identifier and the checksum.
    case datagram
    /// `SOCK_RAW, IPPROTO_ICMP`: needs CAP_NET_RAW; sees every ICMP packet of the host.
    case raw
  }

  /// Request payload: a fresh random token per request, so a late reply to an earlier request,
  /// or someone else's echo that shares identifier and sequence, can't be taken for this one.
  static let tokenLength = 16

  /// The kind actually in use.
  let kind: SocketKind
  private(set) var fd: Int32
  /// Ours on raw sockets; on datagram sockets the kernel sets and filters it.
  private let identifier: UInt16
  private var sequence: UInt16 = 0
  private var buffer = [UInt8](repeating: 0, count: 1500)

  /// - Parameters:
  ///   - source: a local address to send from; the init throws when it is not local.
  ///   - kind: nil tries a datagram socket and falls back to a raw one when refused.
  init(source: String? = nil, kind: SocketKind? = nil) throws {
    let sourceAddress = try source.map { try Self.address($0) }
    let opened: (fd: Int32, kind: SocketKind)
    switch kind {
    case .some(let kind):
      opened = (try Self.open(kind), kind)
    case nil:
      do {
        opened = (try Self.open(.datagram), .datagram)
      } catch ICMPEchoError.system(_, let error) where Self.refusals.contains(error) {
        opened = (try Self.open(.raw), .raw)
      }
    }
    if let sourceAddress {
      var local = sockaddr_in()
      local.sin_family = sa_family_t(AF_INET)
      local.sin_addr = in_addr(s_addr: sourceAddress)
      let bound = withUnsafePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(opened.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard bound == 0 else {
        let error = errno
        Glibc.close(opened.fd)
        throw ICMPEchoError.system(call: "bind", errno: error)
      }
    }
    self.fd = opened.fd
    self.kind = opened.kind
    self.identifier = UInt16.random(in: 1...UInt16.max)
  }

  deinit { close() }

  func close() {
    guard fd >= 0 else { return }
    Glibc.close(fd)
    fd = -1
  }

  /// Sends one echo request. Nil on a send error (ENETUNREACH, …) and after `close()`.
  func send(to destination: in_addr_t) -> EchoRequest? {
    guard fd >= 0 else { return nil }
    sequence &+= 1
    var token: [UInt8] = []
    for _ in 0..<(Self.tokenLength / 8) {
      withUnsafeBytes(of: UInt64.random(in: 0...UInt64.max)) { token += $0 }
    }
    let packet = Self.echoRequest(
      identifier: identifier, sequence: sequence, token: token, checksum: kind == .raw)
    var to = sockaddr_in()
    to.sin_family = sa_family_t(AF_INET)
    to.sin_addr = in_addr(s_addr: destination)
    while true {
      let sent = packet.withUnsafeBytes { raw in
        withUnsafePointer(to: &to) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
          }
        }
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
      var from = sockaddr_in()
      var fromLength = socklen_t(MemoryLayout<sockaddr_in>.size)
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
      if let (sequence, token) = Self.parseReply(
        packet, includesIPHeader: kind == .raw, identifier: kind == .raw ? identifier : nil)
      {
        replies.append(EchoReply(source: from.sin_addr.s_addr, sequence: sequence, token: token))
      }
    }
  }

  // MARK: - Packets

  /// An echo request; datagram sockets fill in identifier and checksum themselves.
  static func echoRequest(identifier: UInt16, sequence: UInt16, token: [UInt8], checksum: Bool)
    -> [UInt8]
  {
    var packet: [UInt8] = [8, 0, 0, 0]  // ICMP_ECHO, code 0, checksum placeholder
    packet += [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]
    packet += [UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    packet += token
    if checksum {
      let sum = internetChecksum(packet)
      packet[2] = UInt8(sum >> 8)
      packet[3] = UInt8(sum & 0xFF)
    }
    return packet
  }

  /// The sequence and token of `packet` when it is an echo reply to this socket. Raw sockets
  /// deliver the IP header too and every ICMP packet of the host, so there the identifier and
  /// checksum matter as well.
  static func parseReply(_ packet: [UInt8], includesIPHeader: Bool, identifier: UInt16?)
    -> (sequence: UInt16, token: [UInt8])?
  {
    var start = 0
    if includesIPHeader {
      guard let first = packet.first, first >> 4 == 4, packet.count > 9, packet[9] == 1
      else { return nil }
      start = Int(first & 0x0F) * 4
      guard start >= 20 else { return nil }
    }
    guard packet.count - start >= 8 + tokenLength else { return nil }
    let icmp = Array(packet[start...])
    guard icmp[0] == 0, icmp[1] == 0 else { return nil }  // ICMP_ECHOREPLY, code 0
    if let identifier, UInt16(icmp[4]) << 8 | UInt16(icmp[5]) != identifier { return nil }
    // The kernel checks the sum before a datagram socket sees a reply, not before a raw one.
    if includesIPHeader && internetChecksum(icmp) != 0 { return nil }
    return (UInt16(icmp[6]) << 8 | UInt16(icmp[7]), Array(icmp[8..<(8 + tokenLength)]))
  }

  /// Whether `packet` is the echo reply to the request with `sequence` and `token`.
  static func isReply(
    _ packet: [UInt8], includesIPHeader: Bool, identifier: UInt16?, sequence: UInt16,
    token: [UInt8]
  ) -> Bool {
    guard
      let reply = parseReply(packet, includesIPHeader: includesIPHeader, identifier: identifier)
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

  private static func open(_ kind: SocketKind) throws -> Int32 {
    let type = kind == .raw ? SOCK_RAW : SOCK_DGRAM
    let fd = socket(
      AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
      Int32(IPPROTO_ICMP))
    guard fd >= 0 else { throw ICMPEchoError.system(call: "socket", errno: errno) }
    if kind == .raw {
      // ICMP_FILTER (linux/icmp.h): a bit per type to drop, so we wake for echo replies only.
      var blocked = ~UInt32(1)
      _ = setsockopt(fd, SOL_RAW, 1, &blocked, socklen_t(MemoryLayout<UInt32>.size))
    }
    return fd
  }

  /// A dotted-quad IPv4 address in network byte order.
  static func address(_ text: String) throws -> in_addr_t {
    var address = in_addr()
    guard inet_pton(AF_INET, text, &address) == 1 else {
      throw ICMPEchoError.invalidAddress(text)
    }
    return address.s_addr
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
