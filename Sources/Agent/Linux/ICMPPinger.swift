#if canImport(Glibc)
  import Glibc
#endif

enum ICMPPingerError: Error, Equatable {
  /// Not a dotted-quad IPv4 address.
  case invalidAddress(String)
  /// A system call failed; `bind` answers EADDRNOTAVAIL when the source address is not local.
  case system(call: String, errno: Int32)
}

/// ICMP echo (IPv4 only) for IP monitoring: one request per `ping`, answered or not within
/// the timeout.
///
/// Not Sendable on purpose: one owner sends and reads, since two concurrent pings on one
/// socket would consume each other's replies. Create it inside the task or thread that uses it.
final class ICMPPinger {
  enum SocketKind: String, Sendable, Equatable {
    /// `SOCK_DGRAM, IPPROTO_ICMP`: needs no privilege, only a gid in
    /// `net.ipv4.ping_group_range`; the kernel picks the identifier and the checksum.
    case datagram
    /// `SOCK_RAW, IPPROTO_ICMP`: needs CAP_NET_RAW; sees every ICMP packet of the host.
    case raw
  }

  let destination: String
  /// The kind actually in use.
  let kind: SocketKind
  private var fd: Int32
  private let target: in_addr
  /// Ours on raw sockets; on datagram sockets the kernel sets and filters it.
  private let identifier: UInt16
  private var sequence: UInt16 = 0

  /// - Parameters:
  ///   - source: a local address to send from; the init throws when it is not local.
  ///   - kind: nil tries a datagram socket and falls back to a raw one when refused.
  init(destination: String, source: String? = nil, kind: SocketKind? = nil) throws {
    guard let target = Self.address(destination) else {
      throw ICMPPingerError.invalidAddress(destination)
    }
    let sourceAddress = try source.map {
      guard let parsed = Self.address($0) else { throw ICMPPingerError.invalidAddress($0) }
      return parsed
    }
    let opened: (fd: Int32, kind: SocketKind)
    switch kind {
    case .some(let kind):
      opened = (try Self.open(kind), kind)
    case nil:
      do {
        opened = (try Self.open(.datagram), .datagram)
      } catch ICMPPingerError.system(_, let error) where Self.refusals.contains(error) {
        opened = (try Self.open(.raw), .raw)
      }
    }
    if let sourceAddress {
      var local = sockaddr_in()
      local.sin_family = sa_family_t(AF_INET)
      local.sin_addr = sourceAddress
      let bound = withUnsafePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(opened.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard bound == 0 else {
        let error = errno
        Glibc.close(opened.fd)
        throw ICMPPingerError.system(call: "bind", errno: error)
      }
    }
    self.destination = destination
    self.target = target
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

  /// Sends one echo request and waits up to `timeout` for its reply. False on timeout, on a
  /// send error (ENETUNREACH, …) and after `close()`; replies to other requests are ignored.
  func ping(timeout: Duration) -> Bool {
    guard fd >= 0 else { return false }
    sequence &+= 1
    // A fresh token per request: a late reply to an earlier request, or someone else's echo
    // that happens to share identifier and sequence, can't be mistaken for this one.
    var token: [UInt8] = []
    for _ in 0..<2 { withUnsafeBytes(of: UInt64.random(in: 0...UInt64.max)) { token += $0 } }
    guard send(sequence: sequence, token: token) else { return false }
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var buffer = [UInt8](repeating: 0, count: 1500)
    while true {
      let remaining = ContinuousClock.now.duration(to: deadline)
      guard remaining > .zero else { return false }
      var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&pfd, 1, Self.milliseconds(remaining))
      if ready < 0 {
        if errno == EINTR { continue }
        return false
      }
      if ready == 0 { continue }
      // Drain everything queued: on a raw socket most of it belongs to other processes.
      while true {
        var from = sockaddr_in()
        var fromLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
          withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
              recvfrom(
                fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0,
                &fromLength)
            }
          }
        }
        if count < 0 {
          if errno == EINTR { continue }
          // EAGAIN, or an error queued by an ICMP error for an earlier request: wait on.
          break
        }
        guard from.sin_addr.s_addr == target.s_addr else { continue }
        let packet = Array(buffer.prefix(min(count, buffer.count)))
        if Self.isReply(
          packet, includesIPHeader: kind == .raw,
          identifier: kind == .raw ? identifier : nil, sequence: sequence, token: token)
        {
          return true
        }
      }
    }
  }

  // MARK: - Packets

  private func send(sequence: UInt16, token: [UInt8]) -> Bool {
    let packet = Self.echoRequest(
      identifier: identifier, sequence: sequence, token: token, checksum: kind == .raw)
    var to = sockaddr_in()
    to.sin_family = sa_family_t(AF_INET)
    to.sin_addr = target
    while true {
      let sent = packet.withUnsafeBytes { raw in
        withUnsafePointer(to: &to) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
          }
        }
      }
      if sent < 0 && errno == EINTR { continue }
      return sent == packet.count
    }
  }

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

  /// Whether `packet` is the echo reply to our request. Raw sockets deliver the IP header too
  /// and every ICMP packet of the host, so there the identifier and checksum matter as well.
  static func isReply(
    _ packet: [UInt8], includesIPHeader: Bool, identifier: UInt16?, sequence: UInt16,
    token: [UInt8]
  ) -> Bool {
    var start = 0
    if includesIPHeader {
      guard let first = packet.first, first >> 4 == 4, packet.count > 9, packet[9] == 1
      else { return false }
      start = Int(first & 0x0F) * 4
      guard start >= 20 else { return false }
    }
    guard packet.count - start >= 8 + token.count else { return false }
    let icmp = Array(packet[start...])
    guard icmp[0] == 0, icmp[1] == 0 else { return false }  // ICMP_ECHOREPLY, code 0
    if let identifier, UInt16(icmp[4]) << 8 | UInt16(icmp[5]) != identifier { return false }
    guard UInt16(icmp[6]) << 8 | UInt16(icmp[7]) == sequence,
      icmp[8..<(8 + token.count)].elementsEqual(token)
    else { return false }
    // The kernel checks the sum before a datagram socket sees a reply, not before a raw one.
    return !includesIPHeader || internetChecksum(icmp) == 0
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
    guard fd >= 0 else { throw ICMPPingerError.system(call: "socket", errno: errno) }
    if kind == .raw {
      // ICMP_FILTER (linux/icmp.h): a bit per type to drop, so we wake for echo replies only.
      var blocked = ~UInt32(1)
      _ = setsockopt(fd, SOL_RAW, 1, &blocked, socklen_t(MemoryLayout<UInt32>.size))
    }
    return fd
  }

  private static func address(_ text: String) -> in_addr? {
    var address = in_addr()
    guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
    return address
  }

  private static func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: max(millis, 0))
  }
}
