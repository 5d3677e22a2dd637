import Cluster
import Logging
import Synchronization
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Addresses and packets

@Suite struct ICMPAddressTests {
  @Test func parsesEitherFamilyAndComparesByValue() throws {
    let v6 = try ICMPAddress("2001:DB8::1")
    #expect(v6.family == .inet6)
    #expect(v6 == (try ICMPAddress("2001:db8:0:0::1")))
    #expect(v6.description == "2001:db8::1")
    #expect(v6 != (try ICMPAddress("2001:db8::2")))
    let v4 = try ICMPAddress("192.0.2.1")
    #expect(v4.family == .inet)
    #expect(v4.description == "192.0.2.1")
    // A v4-mapped address is an IPv6 address: it goes out on an ICMPv6 socket.
    #expect(try ICMPAddress("::ffff:192.0.2.1").family == .inet6)
    #expect(try ICMPAddress("::ffff:192.0.2.1") != v4)
  }

  @Test func familyRestrictsParsing() throws {
    #expect(throws: ICMPEchoError.invalidAddress("::1")) {
      try ICMPAddress("::1", family: .inet)
    }
    #expect(throws: ICMPEchoError.invalidAddress("127.0.0.1")) {
      try ICMPAddress("127.0.0.1", family: .inet6)
    }
    #expect(throws: ICMPEchoError.invalidAddress("2001:db8::1::2")) {
      try ICMPAddress("2001:db8::1::2")
    }
    #expect(try ICMPEchoSocket.address("::1", family: .inet6) == ICMPAddress("::1"))
  }

  @Test func socketAddressRoundTrips() throws {
    for text in ["2001:db8::7", "::1", "198.51.100.9"] {
      let address = try ICMPAddress(text)
      let back = address.withSocketAddress { pointer, length in
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) {
          $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length)))
        }
        return ICMPAddress(storage)
      }
      #expect(back == address)
    }
    #expect(ICMPAddress(sockaddr_storage()) == nil)
  }
}

@Suite struct ICMPv6PacketTests {
  private static let token: [UInt8] = Array(200..<216)

  /// An echo reply as a raw or datagram ICMPv6 socket reads it: the ICMPv6 message alone.
  private static func reply(
    type: UInt8 = 129, code: UInt8 = 0, identifier: UInt16 = 0xBEEF, sequence: UInt16 = 300,
    token: [UInt8] = token
  ) -> [UInt8] {
    var icmp = ICMPEchoSocket.echoRequest(
      family: .inet6, identifier: identifier, sequence: sequence, token: token, checksum: false)
    icmp[0] = type
    icmp[1] = code
    return icmp
  }

  @Test func requestIsType128WithTheKernelsChecksum() {
    let request = ICMPEchoSocket.echoRequest(
      family: .inet6, identifier: 0xBEEF, sequence: 300, token: Self.token, checksum: true)
    // Type 128, code 0; the checksum left for the kernel (it needs the pseudo-header).
    #expect(Array(request.prefix(8)) == [128, 0, 0, 0, 0xBE, 0xEF, 0x01, 0x2C])
    #expect(Array(request.dropFirst(8)) == Self.token)
    // The IPv4 request with the same fields differs in type and carries its checksum.
    let v4 = ICMPEchoSocket.echoRequest(
      identifier: 0xBEEF, sequence: 300, token: Self.token, checksum: true)
    #expect(v4[0] == 8)
    #expect(ICMPEchoSocket.internetChecksum(v4) == 0)
  }

  @Test func acceptsOnlyItsOwnEchoReply() {
    let mine = Self.reply()
    // Datagram: the kernel matched the identifier already.
    #expect(
      ICMPEchoSocket.isReply(
        mine, family: .inet6, includesIPHeader: false, identifier: nil, sequence: 300,
        token: Self.token))
    #expect(
      ICMPEchoSocket.isReply(
        mine, family: .inet6, includesIPHeader: false, identifier: 0xBEEF, sequence: 300,
        token: Self.token))
    let parsed = ICMPEchoSocket.parseReply(
      mine, family: .inet6, includesIPHeader: false, identifier: 0xBEEF)
    #expect(parsed?.sequence == 300)
    #expect(parsed?.token == Self.token)
    let others: [[UInt8]] = [
      Self.reply(type: 128),  // our own request, looped back
      Self.reply(type: 0),  // an ICMPv4 echo reply's type
      Self.reply(type: 1),  // destination unreachable
      Self.reply(code: 1),
      Self.reply(identifier: 0xBEEE),
      Self.reply(sequence: 301),
      Self.reply(token: Array(Self.token.reversed())),
      Array(mine.prefix(8 + ICMPEchoSocket.tokenLength - 1)),
      [],
    ]
    for other in others {
      #expect(
        !ICMPEchoSocket.isReply(
          other, family: .inet6, includesIPHeader: false, identifier: 0xBEEF, sequence: 300,
          token: Self.token))
    }
    // Families never mix: an ICMPv6 reply is no ICMP reply and the other way round, and no
    // ICMPv6 socket delivers an IP header.
    #expect(
      !ICMPEchoSocket.isReply(
        mine, family: .inet, includesIPHeader: false, identifier: nil, sequence: 300,
        token: Self.token))
    var v4Reply = ICMPEchoSocket.echoRequest(
      identifier: 0xBEEF, sequence: 300, token: Self.token, checksum: false)
    v4Reply[0] = 0
    #expect(
      !ICMPEchoSocket.isReply(
        v4Reply, family: .inet6, includesIPHeader: false, identifier: nil, sequence: 300,
        token: Self.token))
    #expect(
      ICMPEchoSocket.parseReply(mine, family: .inet6, includesIPHeader: true, identifier: nil)
        == nil)
  }
}

@Suite struct PingScheduleFamilyTests {
  private static let start = ContinuousClock.now

  private func request(_ address: String, _ sequence: UInt16) throws -> EchoRequest {
    EchoRequest(
      destination: try ICMPAddress(address), sequence: sequence,
      token: (0..<ICMPEchoSocket.tokenLength).map {
        UInt8($0) ^ UInt8(truncatingIfNeeded: sequence)
      })
  }

  @Test func ipv6TargetsGetTheirOwnSocketAndMatchByValue() throws {
    var schedule = PingSchedule()
    let interval = Duration.seconds(1)
    schedule.update(
      [
        PingTarget(address: "2001:DB8::1", sourceAddress: nil, interval: interval),
        PingTarget(address: "192.0.2.1", sourceAddress: nil, interval: interval),
        PingTarget(address: "2001:db8::2", sourceAddress: "2001:db8::10", interval: interval),
        PingTarget(address: "2001:db8::3", sourceAddress: "2001:db8::10", interval: interval),
      ], now: Self.start)
    #expect(
      schedule.socketKeys == [
        PingSocketKey(family: .inet6, source: ""), PingSocketKey(family: .inet, source: ""),
        PingSocketKey(family: .inet6, source: "2001:db8::10"),
      ])
    #expect(schedule.entries["2001:DB8::1"]?.destination == (try ICMPAddress("2001:db8::1")))

    let sent = try request("2001:db8::1", 5)
    _ = schedule.sent("2001:DB8::1", request: sent, now: Self.start)
    // A reply from another address, or with another token, answers nothing.
    let wrongSource = EchoReply(
      source: try ICMPAddress("2001:db8::2"), sequence: 5, token: sent.token)
    #expect(schedule.received(wrongSource) == nil)
    var forged = EchoReply(source: sent.destination, sequence: 5, token: sent.token)
    forged.token[15] ^= 0x80
    #expect(schedule.received(forged) == nil)
    // The kernel reports the source in its own spelling; the configured one is what counts.
    let reply = EchoReply(source: try ICMPAddress("2001:db8:0::1"), sequence: 5, token: sent.token)
    #expect(schedule.received(reply) == "2001:DB8::1")
    #expect(schedule.received(reply) == nil)

    // A reload that drops the IPv4 address and the sourced ones drops their sockets.
    schedule.update(
      [PingTarget(address: "2001:DB8::1", sourceAddress: nil, interval: interval)],
      now: Self.start.advanced(by: .milliseconds(10)))
    #expect(schedule.socketKeys == [PingSocketKey(family: .inet6, source: "")])
  }

  @Test func anIPv4ReplyNeverAnswersAnIPv6Request() throws {
    var schedule = PingSchedule()
    schedule.update(
      [PingTarget(address: "::ffff:192.0.2.1", sourceAddress: nil, interval: .seconds(1))],
      now: Self.start)
    let sent = try request("::ffff:192.0.2.1", 1)
    _ = schedule.sent("::ffff:192.0.2.1", request: sent, now: Self.start)
    let v4 = EchoReply(source: try ICMPAddress("192.0.2.1"), sequence: 1, token: sent.token)
    #expect(schedule.received(v4) == nil)
    #expect(schedule.expire(now: Self.start.advanced(by: .seconds(1))) == ["::ffff:192.0.2.1"])
  }
}

// MARK: - Live ICMPv6

private struct ICMPv6TestError: Error, CustomStringConvertible {
  var description: String
}

/// Runs `argv` (inheriting the calling thread's network namespace) and waits for it; its exit
/// status, or -1 when it could not start.
@discardableResult
private func spawnAndWait(_ argv: [String]) -> Int32 {
  var pid = pid_t()
  let arguments = argv.map { strdup($0) } + [nil]
  defer { for argument in arguments { free(argument) } }
  guard posix_spawnp(&pid, argv[0], nil, nil, arguments, environ) == 0 else { return -1 }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
}

/// Writes a sysctl of the calling thread's network namespace (/proc/sys/net is per namespace of
/// the opener).
private func writeSysctl(_ path: String, _ value: String) throws {
  let fd = open("/proc/sys/\(path)", O_WRONLY | O_CLOEXEC)
  guard fd >= 0 else { throw ICMPv6TestError(description: "open \(path): errno \(errno)") }
  defer { close(fd) }
  let bytes = Array(value.utf8)
  guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
    throw ICMPv6TestError(description: "write \(path): errno \(errno)")
  }
}

/// A network namespace of its own for `body`: a fresh thread unshares one, brings `lo` up
/// (which gives it 127.0.0.1 and ::1), lets datagram ping sockets be opened by root, and runs
/// `body` there. Sockets and threads made in `body` stay in it; it goes away with the last of
/// them, so nothing is left to clean up even when a test dies.
private enum PrivateNamespace {
  static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let thread = NamedThread(name: "ccio-netns") {
      result.withLock {
        $0 = Result {
          try enterNewNamespace()
          return try body()
        }
      }
    }
    guard thread.start() == 0 else { throw ICMPv6TestError(description: "pthread_create") }
    thread.join()
    guard let outcome = result.withLock({ $0 }) else {
      throw ICMPv6TestError(description: "the namespace thread did not run")
    }
    return try outcome.get()
  }

  /// unshare(2) is hidden behind _GNU_SOURCE in the Glibc module; look it up at run time.
  private static func enterNewNamespace() throws {
    typealias Unshare = @convention(c) (Int32) -> Int32
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "unshare") else {
      throw ICMPv6TestError(description: "no unshare")
    }
    let unshare = unsafeBitCast(symbol, to: Unshare.self)
    guard unshare(0x4000_0000) == 0 else {  // CLONE_NEWNET, this thread only
      throw ICMPv6TestError(description: "unshare(CLONE_NEWNET): errno \(errno)")
    }
    guard spawnAndWait(["ip", "link", "set", "lo", "up"]) == 0 else {
      throw ICMPv6TestError(description: "ip link set lo up failed")
    }
    try writeSysctl("net/ipv4/ping_group_range", "0 0")
  }
}

/// One blocking ICMPv6 (or ICMP) round trip: a request and up to `timeout` for its reply.
private func roundTrip(_ socket: ICMPEchoSocket, to text: String, timeout: Duration) -> Bool {
  guard let destination = try? ICMPAddress(text), let request = socket.send(to: destination)
  else { return false }
  let deadline = ContinuousClock.now.advanced(by: timeout)
  while ContinuousClock.now < deadline {
    var pfd = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
    let wait = ICMPEchoSocket.milliseconds(ContinuousClock.now.duration(to: deadline))
    guard poll(&pfd, 1, wait) > 0 else { continue }
    if socket.receiveReplies().contains(where: request.isAnswered(by:)) { return true }
  }
  return false
}

@Suite(.enabled(if: runningAsRoot, "ICMPv6 sockets and namespaces need root here"))
struct ICMPv6EchoSocketLiveTests {
  @Test func pingsLoopback() throws {
    let pinger = try ICMPEchoSocket(family: .inet6)
    defer { pinger.close() }
    #expect(pinger.family == .inet6)
    for _ in 0..<3 { #expect(roundTrip(pinger, to: "::1", timeout: .seconds(1))) }
    // An IPv6 socket sends to IPv6 addresses only.
    #expect(pinger.send(to: try ICMPAddress("127.0.0.1")) == nil)
    let bound = try ICMPEchoSocket(family: .inet6, source: "::1")
    #expect(roundTrip(bound, to: "::1", timeout: .seconds(1)))
    bound.close()
    #expect(!roundTrip(bound, to: "::1", timeout: .milliseconds(200)))
    // The source must be of the socket's family.
    #expect(throws: ICMPEchoError.invalidAddress("127.0.0.1")) {
      try ICMPEchoSocket(family: .inet6, source: "127.0.0.1")
    }
  }

  @Test(arguments: [ICMPEchoSocket.SocketKind.datagram, .raw])
  func pingsInNamespace(kind: ICMPEchoSocket.SocketKind) throws {
    try PrivateNamespace.run {
      let pinger = try ICMPEchoSocket(family: .inet6, kind: kind)
      defer { pinger.close() }
      #expect(pinger.kind == kind)
      for _ in 0..<3 { #expect(roundTrip(pinger, to: "::1", timeout: .seconds(1))) }
      // Two pingers: each gets exactly its own replies (raw ones see both).
      let other = try ICMPEchoSocket(family: .inet6, kind: kind)
      defer { other.close() }
      #expect(roundTrip(pinger, to: "::1", timeout: .seconds(1)))
      #expect(roundTrip(other, to: "::1", timeout: .seconds(1)))
      // The IPv4 socket of the same kind is another socket: it gets no ICMPv6 reply.
      let v4 = try ICMPEchoSocket(family: .inet, kind: kind)
      defer { v4.close() }
      #expect(roundTrip(v4, to: "127.0.0.1", timeout: .seconds(1)))

      // No route: fails at once (ENETUNREACH), no reply awaited.
      let start = ContinuousClock.now
      #expect(!roundTrip(pinger, to: "2001:db8::99", timeout: .milliseconds(300)))
      #expect(ContinuousClock.now - start < .seconds(2))
      // A source that is not local is refused.
      #expect(throws: ICMPEchoError.system(call: "bind", errno: EADDRNOTAVAIL)) {
        try ICMPEchoSocket(family: .inet6, source: "2001:db8::7", kind: kind)
      }
      // Nobody answers: the timeout path.
      try writeSysctl("net/ipv6/icmp/echo_ignore_all", "1")
      let quiet = ContinuousClock.now
      #expect(!roundTrip(pinger, to: "::1", timeout: .milliseconds(300)))
      let waited = ContinuousClock.now - quiet
      #expect(waited >= .milliseconds(290) && waited < .seconds(2))
      try writeSysctl("net/ipv6/icmp/echo_ignore_all", "0")
      #expect(roundTrip(pinger, to: "::1", timeout: .seconds(1)))
    }
  }

  @Test func automaticKindFallsBackToRaw() throws {
    try PrivateNamespace.run {
      let datagram = try ICMPEchoSocket(family: .inet6)
      #expect(datagram.kind == .datagram)
      #expect(roundTrip(datagram, to: "::1", timeout: .seconds(1)))
      datagram.close()
      // The empty range refuses datagram sockets to everyone: raw it is.
      try writeSysctl("net/ipv4/ping_group_range", "1 0")
      let raw = try ICMPEchoSocket(family: .inet6)
      #expect(raw.kind == .raw)
      #expect(roundTrip(raw, to: "::1", timeout: .seconds(1)))
      raw.close()
    }
  }
}

@Suite(.enabled(if: runningAsRoot, "ICMPv6 sockets and namespaces need root here"))
struct IPMonitorThreadIPv6LiveTests {
  /// Ping results until `done` holds for them or `bound` passes (then the stream is finished).
  private func collect(
    _ inputs: DriverInputs, within bound: Duration = .seconds(10),
    until done: ([PingResult]) -> Bool
  ) async -> [PingResult] {
    let timer = Task {
      try? await Task.sleep(for: bound)
      inputs.continuation.finish()
    }
    defer { timer.cancel() }
    var seen: [PingResult] = []
    for await input in inputs.stream {
      guard case .pings(let results) = input else { continue }
      seen += results
      if done(seen) { break }
    }
    return seen
  }

  @Test func mixedFamiliesOnOneThread() async throws {
    let interval = Duration.milliseconds(200)
    let targets = [
      PingTarget(address: "::1", sourceAddress: nil, interval: interval),
      PingTarget(address: "0:0::1", sourceAddress: "::1", interval: interval),
      PingTarget(address: "127.0.0.1", sourceAddress: nil, interval: interval),
      PingTarget(address: "2001:db8::99", sourceAddress: nil, interval: interval),
      // Not local: the socket cannot be opened, every request fails.
      PingTarget(address: "::2", sourceAddress: "2001:db8::7", interval: interval),
    ]
    let thread = try IPMonitorThread(targets: targets)
    let inputs = DriverInputs()
    // The ping thread inherits the namespace of the thread that starts it.
    try PrivateNamespace.run { thread.start(inputs: inputs, logger: Logger(label: "test")) }
    defer { thread.stop() }
    let seen = await collect(inputs) { seen in
      targets.allSatisfy { target in seen.filter { $0.address == target.address }.count >= 4 }
    }
    func replies(_ address: String) -> [Bool] {
      seen.filter { $0.address == address }.map(\.replied)
    }
    for address in ["::1", "0:0::1", "127.0.0.1"] {
      #expect(replies(address).count >= 4, "\(address)")
      #expect(replies(address).allSatisfy { $0 }, "\(address)")
    }
    for address in ["2001:db8::99", "::2"] {
      #expect(replies(address).count >= 4, "\(address)")
      #expect(replies(address).allSatisfy { !$0 }, "\(address)")
    }
  }
}
