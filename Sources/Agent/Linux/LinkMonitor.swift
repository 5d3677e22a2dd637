import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// One interface as rtnetlink last described it.
struct LinkObservation: Sendable, Equatable {
  var name: String
  var index: Int32
  /// Administratively up (IFF_UP), with carrier (IFF_LOWER_UP) and operational (IFF_RUNNING):
  /// a veth whose peer is down has no carrier, and a dormant port has carrier but no traffic.
  var isUp: Bool
  /// RTM_DELLINK: the interface is gone (`isUp` is then false).
  var deleted: Bool
  /// RFC 2863 operational state (`IF_OPER_*`, 6 = up) when the message carried one.
  var operState: UInt8?
}

enum LinkMonitorError: Error, Equatable {
  /// The kernel dropped notifications because the socket buffer overflowed (ENOBUFS), so some
  /// link changes were lost: call `dumpLinks()` and take its result as the new truth.
  case overrun
  /// `close()` was called.
  case closed
  /// `dumpLinks()` and `nextEvents()` were called at the same time; they share one socket.
  case concurrentUse
  /// The kernel did not finish a dump in time.
  case timedOut
  /// The kernel answered a request with an error (a positive errno).
  case netlink(errno: Int32)
  case system(call: String, errno: Int32)
}

/// Interface state from rtnetlink: a full dump, then change events as the kernel sends them.
///
/// `dumpLinks()` and `nextEvents()` are meant for one reader thread; `wakeUp()` and `close()`
/// may be called from any thread and make a blocked reader return promptly.
final class LinkMonitor: Sendable {
  private struct State {
    var closed = false
    var reading = false
    var descriptorsOpen = true
    /// A wake-up consumed during a dump, still owed to the next `nextEvents()`.
    var wakePending = false
    var sequence: UInt32 = 0
  }

  private let socketFD: Int32
  /// Our netlink port id: with the sequence number it tells our dump's replies from events.
  private let portID: UInt32
  /// A datagram socket pair: writing to `wakeWriter` makes the reader's `poll` return.
  private let wakeReader: Int32
  private let wakeWriter: Int32
  private let state: Mutex<State>

  /// - Parameter receiveBufferSize: socket buffer for bursts of events; overflowing it is
  ///   reported as `LinkMonitorError.overrun`.
  init(receiveBufferSize: Int32 = 1 << 20) throws {
    let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw LinkMonitorError.system(call: "socket", errno: errno) }
    var size = receiveBufferSize
    let sizeLength = socklen_t(MemoryLayout<Int32>.size)
    // FORCE goes past rmem_max (a burst of events must fit) but needs CAP_NET_ADMIN.
    if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeLength) != 0 {
      _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeLength)
    }
    var address = sockaddr_storage()
    withUnsafeMutableBytes(of: &address) { raw in
      raw.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
      raw.storeBytes(of: RTNL.groupLink, toByteOffset: 8, as: UInt32.self)
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(RTNL.sockaddrLength))
      }
    }
    guard bound == 0 else {
      let error = errno
      Glibc.close(fd)
      throw LinkMonitorError.system(call: "bind", errno: error)
    }
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else {
      let error = errno
      Glibc.close(fd)
      throw LinkMonitorError.system(call: "getsockname", errno: error)
    }
    portID = withUnsafeBytes(of: &address) { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }

    var pair: [Int32] = [-1, -1]
    let pairType =
      Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
      | Int32(SOCK_NONBLOCK.rawValue)
    guard socketpair(AF_UNIX, pairType, 0, &pair) == 0 else {
      let error = errno
      Glibc.close(fd)
      throw LinkMonitorError.system(call: "socketpair", errno: error)
    }
    socketFD = fd
    wakeReader = pair[0]
    wakeWriter = pair[1]
    state = Mutex(State())
  }

  deinit { close() }

  /// Makes a blocked `nextEvents()` return an empty array, so its caller can check for
  /// cancellation. A wake-up that arrives while nobody waits makes the next call return at once.
  func wakeUp() {
    state.withLock { state in
      guard !state.closed else { return }
      var byte: UInt8 = 1
      // A full buffer already holds a pending wake-up: nothing is lost by ignoring EAGAIN.
      _ = send(wakeWriter, &byte, 1, Int32(MSG_DONTWAIT))
    }
  }

  /// Closes the socket; a blocked reader throws `LinkMonitorError.closed` promptly.
  func close() {
    state.withLock { state in
      guard !state.closed else { return }
      state.closed = true
      var byte: UInt8 = 1
      _ = send(wakeWriter, &byte, 1, Int32(MSG_DONTWAIT))
      // While a reader is inside poll/recv its descriptors must stay valid (a closed number
      // could be reused by another open); the reader closes them on its way out instead.
      if !state.reading { closeDescriptors(&state) }
    }
  }

  /// Every interface by name, as one consistent picture: notifications that arrive during the
  /// dump are applied in arrival order, so the result reflects the state at its end. A dump the
  /// kernel marks inconsistent (NLM_F_DUMP_INTR) or that overlaps an overrun is redone.
  func dumpLinks() throws -> [String: LinkObservation] {
    let sequence = try enter()
    defer { leave() }
    for attempt in 0..<4 {
      let seq = sequence &+ UInt32(attempt)
      if let links = try dumpOnce(sequence: seq) { return links }
    }
    throw LinkMonitorError.overrun
  }

  /// Blocks until the kernel reports link changes, then returns them (one datagram may carry
  /// several). Returns an empty array on `wakeUp()` or when `timeout` expires first.
  /// Throws `LinkMonitorError.overrun` when events were lost: call `dumpLinks()` then.
  func nextEvents(timeout: Duration? = nil) throws -> [LinkObservation] {
    _ = try enter()
    defer { leave() }
    let owed = state.withLock { state in
      defer { state.wakePending = false }
      return state.wakePending
    }
    if owed { return [] }
    let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
    while true {
      switch try receive(until: deadline) {
      case .timeout, .wake:
        return []
      case .datagram(let bytes):
        var events: [LinkObservation] = []
        for message in Self.messages(in: bytes) where message.pid != portID {
          if let link = Self.link(in: bytes, message) { events.append(link) }
        }
        // A datagram of foreign messages only (say, a stale dump reply) is not an event.
        if !events.isEmpty { return events }
      }
    }
  }

  /// Link observations in a buffer of netlink messages, skipping anything malformed.
  static func parse(_ bytes: [UInt8]) -> [LinkObservation] {
    messages(in: bytes).compactMap { link(in: bytes, $0) }
  }

  // MARK: - Reading

  private func enter() throws -> UInt32 {
    try state.withLock { state throws(LinkMonitorError) -> UInt32 in
      guard !state.closed else { throw .closed }
      guard !state.reading else { throw .concurrentUse }
      state.reading = true
      // Room for dumpLinks' retries, each with its own sequence number.
      state.sequence = state.sequence &+ 8
      return state.sequence
    }
  }

  private func leave() {
    state.withLock { state in
      state.reading = false
      if state.closed { closeDescriptors(&state) }
    }
  }

  private func closeDescriptors(_ state: inout State) {
    guard state.descriptorsOpen else { return }
    state.descriptorsOpen = false
    Glibc.close(socketFD)
    Glibc.close(wakeReader)
    Glibc.close(wakeWriter)
  }

  private var isClosed: Bool { state.withLock { $0.closed } }

  /// One dump; nil when it has to be redone.
  private func dumpOnce(sequence: UInt32) throws -> [String: LinkObservation]? {
    try sendDumpRequest(sequence: sequence)
    // The kernel answers at once; the bound only keeps a wedged socket from hanging us.
    let deadline = ContinuousClock.now.advanced(by: .seconds(10))
    var links: [String: LinkObservation] = [:]
    var redo = false
    while true {
      let bytes: [UInt8]
      do {
        switch try receive(until: deadline) {
        case .timeout: throw LinkMonitorError.timedOut
        case .wake:
          // Meant for the caller's event loop: keep it for the next nextEvents().
          state.withLock { $0.wakePending = true }
          continue
        case .datagram(let received): bytes = received
        }
      } catch LinkMonitorError.overrun {
        // Notifications were lost, maybe after their link was dumped. The kernel still owns
        // the running dump (a new request would be refused), so finish it, then redo it.
        redo = true
        continue
      }
      for message in Self.messages(in: bytes) {
        if message.pid == portID {
          // Replies to an earlier, abandoned dump carry an older sequence number.
          guard message.sequence == sequence else { continue }
          if message.flags & RTNL.flagDumpInterrupted != 0 { redo = true }
          switch message.type {
          case RTNL.done:
            // DONE carries the dump's own status: negative when the kernel gave up on it.
            if message.payload.count >= 4,
              let code = Self.load(Int32.self, bytes, at: message.payload.lowerBound), code < 0
            {
              throw LinkMonitorError.netlink(errno: code == Int32.min ? Int32.max : -code)
            }
            return redo ? nil : links
          case RTNL.error:
            guard message.payload.count >= 4,
              let code = Self.load(Int32.self, bytes, at: message.payload.lowerBound)
            else { throw LinkMonitorError.netlink(errno: EPROTO) }
            if code == 0 { continue }  // An acknowledgement.
            throw LinkMonitorError.netlink(errno: code == Int32.min ? Int32.max : -code)
          default:
            if let link = Self.link(in: bytes, message) { Self.apply(link, to: &links) }
          }
        } else if let link = Self.link(in: bytes, message) {
          Self.apply(link, to: &links)
        }
      }
    }
  }

  private static func apply(_ link: LinkObservation, to links: inout [String: LinkObservation]) {
    // A rename keeps the index: drop the entry under the old name.
    for (name, known) in links where known.index == link.index && name != link.name {
      links[name] = nil
    }
    links[link.name] = link.deleted ? nil : link
  }

  private func sendDumpRequest(sequence: UInt32) throws {
    // nlmsghdr followed by an all-zero ifinfomsg (AF_UNSPEC: every link).
    var request = [UInt8](repeating: 0, count: RTNL.headerLength + RTNL.ifinfoLength)
    request.withUnsafeMutableBytes { raw in
      raw.storeBytes(of: UInt32(raw.count), toByteOffset: 0, as: UInt32.self)
      raw.storeBytes(of: RTNL.getLink, toByteOffset: 4, as: UInt16.self)
      raw.storeBytes(of: RTNL.flagRequest | RTNL.flagDump, toByteOffset: 6, as: UInt16.self)
      raw.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self)
    }
    var kernel = sockaddr_storage()
    kernel.ss_family = sa_family_t(AF_NETLINK)
    while true {
      let sent = request.withUnsafeBytes { raw in
        withUnsafePointer(to: &kernel) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(socketFD, raw.baseAddress, raw.count, 0, $0, socklen_t(RTNL.sockaddrLength))
          }
        }
      }
      if sent == request.count { return }
      if sent < 0 && errno == EINTR { continue }
      throw LinkMonitorError.system(call: "sendto", errno: sent < 0 ? errno : EMSGSIZE)
    }
  }

  private enum Received {
    case datagram([UInt8])
    case wake
    case timeout
  }

  /// Waits for one datagram from the kernel, a wake-up or the deadline.
  private func receive(until deadline: ContinuousClock.Instant?) throws -> Received {
    while true {
      var fds = [
        pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0),
        pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&fds, 2, Self.milliseconds(until: deadline))
      if ready < 0 {
        if errno == EINTR { continue }
        throw LinkMonitorError.system(call: "poll", errno: errno)
      }
      // close() wakes through the same socket pair as wakeUp().
      if isClosed { throw LinkMonitorError.closed }
      if ready == 0 {
        if let deadline, ContinuousClock.now >= deadline { return .timeout }
        continue
      }
      if fds[1].revents != 0 {
        var sink = [UInt8](repeating: 0, count: 16)
        while recv(wakeReader, &sink, sink.count, Int32(MSG_DONTWAIT)) > 0 {}
        return .wake
      }
      if fds[0].revents != 0, let bytes = try readDatagram() { return .datagram(bytes) }
    }
  }

  /// Reads one datagram; nil when there was nothing after all or it was not from the kernel.
  private func readDatagram() throws -> [UInt8]? {
    let nonBlocking = Int32(MSG_DONTWAIT)
    // Peek at the true size first so that no message is ever cut short.
    let size = recv(
      socketFD, nil, 0, Int32(MSG_PEEK) | Int32(MSG_TRUNC) | nonBlocking)
    if size < 0 {
      switch errno {
      case EAGAIN, EINTR: return nil
      case ENOBUFS: throw LinkMonitorError.overrun
      case let error: throw LinkMonitorError.system(call: "recv", errno: error)
      }
    }
    var buffer = [UInt8](repeating: 0, count: max(size, 1))
    var sender = sockaddr_storage()
    var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let count = buffer.withUnsafeMutableBytes { raw in
      withUnsafeMutablePointer(to: &sender) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          recvfrom(socketFD, raw.baseAddress, raw.count, nonBlocking, $0, &senderLength)
        }
      }
    }
    if count < 0 {
      switch errno {
      case EAGAIN, EINTR: return nil
      case ENOBUFS: throw LinkMonitorError.overrun
      case let error: throw LinkMonitorError.system(call: "recvfrom", errno: error)
      }
    }
    // Only the kernel (port 0) speaks for the links; another process could unicast to us.
    let senderPort = withUnsafeBytes(of: &sender) {
      $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    }
    guard sender.ss_family == sa_family_t(AF_NETLINK), senderPort == 0 else { return nil }
    return Array(buffer.prefix(min(count, buffer.count)))
  }

  private static func milliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
    guard let deadline else { return -1 }
    let remaining = ContinuousClock.now.duration(to: deadline)
    guard remaining > .zero else { return 0 }
    let (seconds, attoseconds) = remaining.components
    // Round up: poll returning a hair early would only cost another loop.
    let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: millis)
  }

  // MARK: - Parsing

  struct Message {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var pid: UInt32
    /// Bytes after the header, within the message's own length.
    var payload: Range<Int>
  }

  /// Splits a datagram into netlink messages; stops at the first length that does not fit.
  static func messages(in bytes: [UInt8]) -> [Message] {
    var messages: [Message] = []
    var offset = 0
    while offset + RTNL.headerLength <= bytes.count {
      guard let length32 = load(UInt32.self, bytes, at: offset),
        let type = load(UInt16.self, bytes, at: offset + 4),
        let flags = load(UInt16.self, bytes, at: offset + 6),
        let sequence = load(UInt32.self, bytes, at: offset + 8),
        let pid = load(UInt32.self, bytes, at: offset + 12)
      else { break }
      let length = Int(length32)
      guard length >= RTNL.headerLength, length <= bytes.count - offset else { break }
      messages.append(
        Message(
          type: type, flags: flags, sequence: sequence, pid: pid,
          payload: (offset + RTNL.headerLength)..<(offset + length)))
      offset += align(length)
    }
    return messages
  }

  /// The observation in an RTM_NEWLINK/RTM_DELLINK message; nil for anything else or when the
  /// message is too short or carries no name.
  static func link(in bytes: [UInt8], _ message: Message) -> LinkObservation? {
    guard message.type == RTNL.newLink || message.type == RTNL.delLink else { return nil }
    let start = message.payload.lowerBound
    let end = message.payload.upperBound
    guard start >= 0, end <= bytes.count, end - start >= RTNL.ifinfoLength,
      let family = load(UInt8.self, bytes, at: start),
      let index = load(Int32.self, bytes, at: start + 4),
      let flags = load(UInt32.self, bytes, at: start + 8)
    else { return nil }
    // Bridges send AF_BRIDGE copies for their ports; a port leaving a bridge is an
    // RTM_DELLINK of that kind although the interface stays. Only AF_UNSPEC speaks for links.
    guard family == 0 else { return nil }
    var name: String?
    var operState: UInt8?
    var offset = start + align(RTNL.ifinfoLength)
    while offset + 4 <= end {
      guard let length16 = load(UInt16.self, bytes, at: offset),
        let rawType = load(UInt16.self, bytes, at: offset + 2)
      else { break }
      let length = Int(length16)
      guard length >= 4, length <= end - offset else { break }
      let data = (offset + 4)..<(offset + length)
      // The top bits flag nesting and byte order; they are not part of the type.
      switch rawType & 0x3FFF {
      case RTNL.attributeName:
        let text = bytes[data].prefix { $0 != 0 }
        if !text.isEmpty { name = String(decoding: text, as: UTF8.self) }
      case RTNL.attributeOperState:
        if !data.isEmpty { operState = bytes[data.lowerBound] }
      default:
        break
      }
      offset += align(length)
    }
    guard let name else { return nil }
    let deleted = message.type == RTNL.delLink
    let upFlags = RTNL.up | RTNL.lowerUp | RTNL.running
    return LinkObservation(
      name: name, index: index, isUp: !deleted && flags & upFlags == upFlags, deleted: deleted,
      operState: operState)
  }

  /// NLMSG_ALIGN and RTA_ALIGN: both round up to 4 bytes.
  private static func align(_ length: Int) -> Int { (length + 3) & ~3 }

  /// A native-endian integer at `offset`, or nil when it does not fit.
  private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int)
    -> T?
  {
    guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return nil }
    return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
  }
}

/// rtnetlink constants from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h> and
/// <linux/if.h>, which the Glibc module does not import.
private enum RTNL {
  static let headerLength = 16  // struct nlmsghdr
  static let ifinfoLength = 16  // struct ifinfomsg
  static let sockaddrLength = 12  // struct sockaddr_nl
  static let groupLink: UInt32 = 1  // RTMGRP_LINK

  static let error: UInt16 = 2  // NLMSG_ERROR
  static let done: UInt16 = 3  // NLMSG_DONE
  static let newLink: UInt16 = 16  // RTM_NEWLINK
  static let delLink: UInt16 = 17  // RTM_DELLINK
  static let getLink: UInt16 = 18  // RTM_GETLINK

  static let flagRequest: UInt16 = 0x1  // NLM_F_REQUEST
  static let flagDumpInterrupted: UInt16 = 0x10  // NLM_F_DUMP_INTR
  static let flagDump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH

  static let attributeName: UInt16 = 3  // IFLA_IFNAME
  static let attributeOperState: UInt16 = 16  // IFLA_OPERSTATE

  static let up: UInt32 = 0x1  // IFF_UP
  static let running: UInt32 = 0x40  // IFF_RUNNING
  static let lowerUp: UInt32 = 0x1_0000  // IFF_LOWER_UP
}
