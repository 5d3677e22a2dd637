import Cluster
import Logging
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Helpers

private let runningAsRoot = getuid() == 0

/// SplitMix64: a tiny seeded generator so that fuzz runs are reproducible.
private struct FuzzGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

private let iffUp: UInt32 = 0x1
private let iffRunning: UInt32 = 0x40
private let iffLowerUp: UInt32 = 0x1_0000
private let allUp = iffUp | iffRunning | iffLowerUp

private func native<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value) { Array($0) }
}

/// An rtattr, padded to 4 bytes like the kernel does.
private func attribute(_ type: UInt16, _ data: [UInt8]) -> [UInt8] {
  var bytes = native(UInt16(4 + data.count)) + native(type) + data
  while bytes.count % 4 != 0 { bytes.append(0) }
  return bytes
}

private func netlinkMessage(
  type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 0, pid: UInt32 = 0, payload: [UInt8]
) -> [UInt8] {
  var bytes = native(UInt32(16 + payload.count)) + native(type) + native(flags)
  bytes += native(sequence) + native(pid) + payload
  while bytes.count % 4 != 0 { bytes.append(0) }
  return bytes
}

private func linkMessage(
  type: UInt16 = 16, family: UInt8 = 0, name: String?, index: Int32, flags: UInt32,
  operState: UInt8? = nil
) -> [UInt8] {
  var payload: [UInt8] = [family, 0] + native(UInt16(1)) + native(index) + native(flags)
  payload += native(UInt32(0xFFFF_FFFF))
  if let name { payload += attribute(3, Array(name.utf8) + [0]) }
  if let operState { payload += attribute(16, [operState]) }
  return netlinkMessage(type: type, payload: payload)
}

@discardableResult
private func runCommand(_ arguments: [String]) -> (status: Int32, output: String) {
  var pair: [Int32] = [-1, -1]
  let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
  guard !arguments.isEmpty, socketpair(AF_UNIX, kind, 0, &pair) == 0 else {
    return (-1, "cannot start \(arguments)")
  }
  defer { close(pair[0]) }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
  posix_spawn_file_actions_adddup2(&actions, pair[1], 2)
  let argv = arguments.map { strdup($0) } + [nil]
  defer { for pointer in argv { free(pointer) } }
  var pid = pid_t()
  let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
  close(pair[1])
  guard spawned == 0 else { return (-1, "cannot start \(arguments)") }
  var output: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 4096)
  while true {
    let count = read(pair[0], &chunk, chunk.count)
    if count > 0 {
      output += chunk.prefix(count)
    } else if count < 0 && errno == EINTR {
      continue
    } else {
      break
    }
  }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  let exit = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  return (exit, String(decoding: output, as: UTF8.self))
}

private func randomHex(_ digits: Int) -> String {
  let value = UInt64.random(in: 0...UInt64.max)
  let text = String(value, radix: 16)
  return String(text.suffix(digits))
}

private struct LinuxIOTestError: Error, CustomStringConvertible {
  var description: String
}

/// Removes namespaces left by test processes that died before their cleanup ran (a trap
/// skips `defer`). Runs once per process.
private let staleNamespacesRemoved: Void = {
  for line in runCommand(["ip", "netns", "list"]).output.split(separator: "\n") {
    guard let name = line.split(separator: " ").first, name.hasPrefix("ccio-") else { continue }
    let parts = name.split(separator: "-")
    guard parts.count == 3, let pid = Int32(parts[1]), pid != getpid(),
      kill(pid, 0) != 0 && errno == ESRCH
    else { continue }
    runCommand(["ip", "netns", "del", String(name)])
  }
}()

/// A named network namespace, removed with everything in it when `body` ends, even on failure.
private func withTestNamespace<T>(_ body: (String) throws -> T) throws -> T {
  let name = try addTestNamespace()
  defer { runCommand(["ip", "netns", "del", name]) }
  return try body(name)
}

/// `withTestNamespace` for async bodies.
private func withTestNamespaceAsync(_ body: (String) async throws -> Void) async throws {
  let name = try addTestNamespace()
  defer { runCommand(["ip", "netns", "del", name]) }
  try await body(name)
}

private func addTestNamespace() throws -> String {
  staleNamespacesRemoved
  let name = "ccio-\(getpid())-\(randomHex(6))"
  let created = runCommand(["ip", "netns", "add", name])
  guard created.status == 0 else { throw LinuxIOTestError(description: created.output) }
  return name
}

@discardableResult
private func ipIn(_ namespace: String, _ arguments: String...) -> Int32 {
  let result = runCommand(["ip", "-n", namespace] + arguments)
  if result.status != 0 { Issue.record("ip \(arguments): \(result.output)") }
  return result.status
}

private func sysctlIn(_ namespace: String, _ setting: String) {
  let result = runCommand(["ip", "netns", "exec", namespace, "sysctl", "-qw", setting])
  if result.status != 0 { Issue.record("sysctl \(setting): \(result.output)") }
}

/// setns(2) is hidden behind _GNU_SOURCE in the Glibc module; look it up at run time.
private func enterNamespace(_ name: String) throws {
  typealias SetNS = @convention(c) (Int32, Int32) -> Int32
  guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else {
    throw LinuxIOTestError(description: "no setns")
  }
  let setns = unsafeBitCast(symbol, to: SetNS.self)
  let fd = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw LinuxIOTestError(description: "open netns \(name): errno \(errno)") }
  defer { close(fd) }
  guard setns(fd, 0x4000_0000) == 0 else {  // CLONE_NEWNET
    throw LinuxIOTestError(description: "setns: errno \(errno)")
  }
}

/// A plain thread. Sockets keep the namespace they were created in, so a thread that enters a
/// namespace, opens a socket and ends leaves the rest of the process untouched.
private final class PlainThread: @unchecked Sendable {
  // Unchecked: `body` runs on the new thread only, and callers read what it wrote after join().
  private var thread = pthread_t()
  private let body: () -> Void

  init(_ body: @escaping () -> Void) throws {
    self.body = body
    let context = Unmanaged.passRetained(self).toOpaque()
    let created = pthread_create(
      &thread, nil,
      { context in
        guard let context else { return nil }
        Unmanaged<PlainThread>.fromOpaque(context).takeRetainedValue().body()
        return nil
      }, context)
    guard created == 0 else {
      Unmanaged<PlainThread>.fromOpaque(context).release()
      throw LinuxIOTestError(description: "pthread_create: \(created)")
    }
  }

  func join() { pthread_join(thread, nil) }
}

/// Runs `body` on a fresh thread, inside `namespace` when given, and waits for it.
private func runOnThread<T>(inNamespace namespace: String? = nil, _ body: () throws -> T) throws
  -> T
{
  var result: Result<T, any Error> = .failure(LinuxIOTestError(description: "thread did not run"))
  try withoutActuallyEscaping(body) { body in
    let thread = try PlainThread {
      result = Result {
        if let namespace { try enterNamespace(namespace) }
        return try body()
      }
    }
    thread.join()
  }
  return try result.get()
}

/// Reads events until one matches or `bound` passes.
private func waitForLink(
  _ monitor: LinkMonitor, within bound: Duration = .seconds(2),
  _ predicate: (LinkObservation) -> Bool
) throws -> LinkObservation? {
  let deadline = ContinuousClock.now.advanced(by: bound)
  while ContinuousClock.now < deadline {
    let events = try monitor.nextEvents(timeout: ContinuousClock.now.duration(to: deadline))
    if let match = events.first(where: predicate) { return match }
  }
  return nil
}

// MARK: - Netlink parser

@Suite struct LinkParserTests {
  @Test func parsesOneNewLink() {
    let bytes = linkMessage(name: "eth1", index: 7, flags: allUp, operState: 6)
    #expect(
      LinkMonitor.parse(bytes) == [
        LinkObservation(name: "eth1", index: 7, isUp: true, deleted: false, operState: 6)
      ])
  }

  @Test(arguments: [
    (allUp, true),
    (iffUp, false),
    (iffUp | iffLowerUp, false),
    (iffUp | iffRunning, false),
    (iffRunning | iffLowerUp, false),
    (0, false),
  ])
  func upNeedsAdminCarrierAndRunning(flags: UInt32, up: Bool) {
    let parsed = LinkMonitor.parse(linkMessage(name: "veth0", index: 3, flags: flags))
    #expect(parsed.map(\.isUp) == [up])
  }

  @Test func delLinkIsDeletedAndDown() {
    let parsed = LinkMonitor.parse(linkMessage(type: 17, name: "veth0", index: 3, flags: allUp))
    #expect(
      parsed == [
        LinkObservation(name: "veth0", index: 3, isUp: false, deleted: true, operState: nil)
      ])
  }

  @Test func severalMessagesInOneBuffer() {
    var bytes = linkMessage(name: "a", index: 1, flags: allUp)
    bytes += netlinkMessage(type: 20, payload: [UInt8](repeating: 9, count: 24))  // RTM_NEWADDR
    bytes += linkMessage(name: "abcde", index: 2, flags: 0, operState: 2)  // padded name
    bytes += linkMessage(family: 7, name: "br-port", index: 4, flags: 0)  // AF_BRIDGE: ignored
    bytes += linkMessage(type: 17, name: "gone", index: 5, flags: 0)
    bytes += netlinkMessage(type: 3, payload: native(Int32(0)))  // NLMSG_DONE
    #expect(
      LinkMonitor.parse(bytes) == [
        LinkObservation(name: "a", index: 1, isUp: true, deleted: false, operState: nil),
        LinkObservation(name: "abcde", index: 2, isUp: false, deleted: false, operState: 2),
        LinkObservation(name: "gone", index: 5, isUp: false, deleted: true, operState: nil),
      ])
  }

  @Test func attributeFlagsAndOrderDoNotMatter() {
    var payload: [UInt8] = [0, 0] + native(UInt16(1)) + native(Int32(9)) + native(allUp)
    payload += native(UInt32(0))
    payload += attribute(16, [6])
    payload += attribute(0x8000 | 18, [1, 2, 3])  // nested IFLA_LINKINFO: skipped
    payload += attribute(3, Array("x0".utf8) + [0])
    #expect(
      LinkMonitor.parse(netlinkMessage(type: 16, payload: payload)) == [
        LinkObservation(name: "x0", index: 9, isUp: true, deleted: false, operState: 6)
      ])
  }

  @Test func truncatedAttributesKeepWhatFits() {
    // The operstate attribute claims 64 bytes where 8 remain: parsing stops there.
    var payload: [UInt8] = [0, 0] + native(UInt16(1)) + native(Int32(4)) + native(allUp)
    payload += native(UInt32(0)) + attribute(3, Array("eth0".utf8) + [0])
    payload += native(UInt16(64)) + native(UInt16(16)) + [6, 0, 0, 0]
    #expect(
      LinkMonitor.parse(netlinkMessage(type: 16, payload: payload)) == [
        LinkObservation(name: "eth0", index: 4, isUp: true, deleted: false, operState: nil)
      ])
    // A name cut short by the end of the message still has no NUL: taken as is.
    var short: [UInt8] = [0, 0] + native(UInt16(1)) + native(Int32(4)) + native(allUp)
    short += native(UInt32(0)) + native(UInt16(7)) + native(UInt16(3)) + Array("eth".utf8)
    #expect(LinkMonitor.parse(netlinkMessage(type: 16, payload: short)).map(\.name) == ["eth"])
    // Without a name there is nothing to key the observation by.
    #expect(LinkMonitor.parse(linkMessage(name: nil, index: 4, flags: allUp)).isEmpty)
    // An ifinfomsg cut short.
    #expect(LinkMonitor.parse(netlinkMessage(type: 16, payload: [0, 0, 1, 0, 4])).isEmpty)
  }

  @Test func bogusLengthsStopParsing() {
    let good = linkMessage(name: "ok", index: 1, flags: allUp)
    for bogus: UInt32 in [0, 1, 15, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt32(good.count + 4)] {
      var bytes = good + good
      bytes.replaceSubrange(good.count..<(good.count + 4), with: native(bogus))
      #expect(LinkMonitor.parse(bytes).map(\.name) == ["ok"], "nlmsg_len \(bogus)")
    }
    for bogus: UInt16 in [0, 1, 3, 0xFFFF] {
      var bytes = good
      bytes.replaceSubrange(32..<34, with: native(bogus))  // the IFLA_IFNAME rta_len
      #expect(LinkMonitor.parse(bytes).isEmpty, "rta_len \(bogus)")
    }
    #expect(LinkMonitor.parse([]).isEmpty)
    #expect(LinkMonitor.parse(Array(good.prefix(15))).isEmpty)
    #expect(LinkMonitor.parse(Array(good.dropLast(4))).isEmpty)
  }

  @Test func fuzzedMessagesNeverTrap() {
    var rng = FuzzGenerator(seed: 0x5EED_0101)
    let valid =
      linkMessage(name: "eth0", index: 2, flags: allUp, operState: 6)
      + linkMessage(type: 17, name: "veth-long-name", index: 3, flags: 0)
      + netlinkMessage(type: 3, payload: native(Int32(0)))
    var survivors = 0
    for _ in 0..<20_000 {
      var bytes = valid
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
          bytes[Int.random(in: 0..<bytes.count, using: &rng)] = .random(in: 0...255, using: &rng)
        case 1:
          bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
        case 2 where bytes.count >= 4:
          let at = Int.random(in: 0...(bytes.count - 4), using: &rng)
          let length = UInt32.random(in: 0...UInt32.max, using: &rng) >> (rng.next() % 32)
          bytes.replaceSubrange(at..<(at + 4), with: native(length))
        case 3:
          bytes += (0..<Int.random(in: 0...40, using: &rng)).map { _ in
            UInt8.random(in: 0...255, using: &rng)
          }
        default:
          if bytes.count >= 2 { bytes.swapAt(0, Int.random(in: 0..<bytes.count, using: &rng)) }
        }
        if bytes.isEmpty { break }
      }
      let parsed = LinkMonitor.parse(bytes)
      #expect(parsed.count <= bytes.count / 32)
      for message in LinkMonitor.messages(in: bytes) {
        #expect(message.payload.lowerBound >= 16 && message.payload.upperBound <= bytes.count)
      }
      survivors += parsed.count
    }
    #expect(survivors > 0, "mutations should leave some messages intact")
    for _ in 0..<5_000 {
      let noise = (0..<Int.random(in: 0...300, using: &rng)).map { _ in
        UInt8.random(in: 0...255, using: &rng)
      }
      _ = LinkMonitor.parse(noise)
    }
  }
}

// MARK: - Link monitor against the kernel

@Suite struct LinkMonitorLiveTests {
  @Test func dumpsLoopbackHere() throws {
    let monitor = try LinkMonitor()
    defer { monitor.close() }
    let links = try monitor.dumpLinks()
    let loopback = try #require(links["lo"])
    #expect(loopback.isUp)
    #expect(loopback.index == 1)
    #expect(!loopback.deleted)
  }

  @Test func wakeUpAndCloseReleaseAReader() throws {
    let monitor = try LinkMonitor()
    monitor.wakeUp()
    #expect(try monitor.nextEvents(timeout: .seconds(5)) == [])

    var outcome: Result<[LinkObservation], any Error>?
    let reader = try PlainThread {
      outcome = Result {
        while true {
          // Host link events may come and go, and the main thread's dumps may refuse us for a
          // moment; only close() may end this loop.
          do {
            _ = try monitor.nextEvents(timeout: .seconds(10))
          } catch LinkMonitorError.concurrentUse {
            usleep(1_000)
          }
        }
      }
    }
    // While the reader is blocked, a second reader is refused rather than stealing replies.
    var refused = false
    for _ in 0..<100 where !refused {
      do {
        _ = try monitor.dumpLinks()
        usleep(10_000)
      } catch LinkMonitorError.concurrentUse {
        refused = true
      }
    }
    #expect(refused)
    let closedAt = ContinuousClock.now
    monitor.close()
    reader.join()
    #expect(ContinuousClock.now - closedAt < .seconds(1))
    #expect(throws: LinkMonitorError.closed) { try outcome?.get() }
    #expect(throws: LinkMonitorError.closed) { try monitor.dumpLinks() }
    monitor.close()  // Twice is harmless.
  }

  @Test(.enabled(if: runningAsRoot, "creates network namespaces"))
  func followsVethPairInNamespace() throws {
    try withTestNamespace { namespace in
      let monitor = try runOnThread(inNamespace: namespace) { try LinkMonitor() }
      defer { monitor.close() }
      let initial = try monitor.dumpLinks()
      #expect(initial.keys.sorted() == ["lo"])
      #expect(initial["lo"]?.isUp == false)

      let a = "cct\(randomHex(5))a"
      let b = String(a.dropLast()) + "b"
      ipIn(namespace, "link", "add", a, "type", "veth", "peer", "name", b)
      #expect(try waitForLink(monitor) { $0.name == a && !$0.isUp } != nil)
      ipIn(namespace, "link", "set", a, "up")
      ipIn(namespace, "link", "set", b, "up")
      #expect(try waitForLink(monitor) { $0.name == a && $0.isUp } != nil)

      // The peer going down takes the carrier away from `a`, though `a` stays admin up.
      ipIn(namespace, "link", "set", "dev", b, "down")
      let lost = try waitForLink(monitor) { $0.name == a && !$0.isUp }
      #expect(lost?.operState == 3)  // IF_OPER_LOWERLAYERDOWN
      ipIn(namespace, "link", "set", "dev", b, "up")
      #expect(try waitForLink(monitor) { $0.name == a && $0.isUp } != nil)
      ipIn(namespace, "link", "set", "dev", a, "down")
      #expect(try waitForLink(monitor) { $0.name == a && !$0.isUp } != nil)

      let links = try monitor.dumpLinks()
      #expect(links[a]?.isUp == false)
      #expect(links[b]?.isUp == false)  // admin up, but its peer is down
      #expect(links[a]?.index != links[b]?.index)

      ipIn(namespace, "link", "del", a)
      var deleted: Set<String> = []
      let deadline = ContinuousClock.now.advanced(by: .seconds(2))
      while deleted.count < 2 && ContinuousClock.now < deadline {
        let events = try monitor.nextEvents(timeout: ContinuousClock.now.duration(to: deadline))
        for event in events where event.deleted { deleted.insert(event.name) }
      }
      #expect(deleted == [a, b])
      #expect(try monitor.dumpLinks().keys.sorted() == ["lo"])
    }
  }

  @Test(.enabled(if: runningAsRoot, "creates network namespaces"))
  func overrunAsksForRedump() throws {
    try withTestNamespace { namespace in
      // The smallest buffer the kernel allows: a few notifications fill it.
      let monitor = try runOnThread(inNamespace: namespace) {
        try LinkMonitor(receiveBufferSize: 1)
      }
      defer { monitor.close() }
      let a = "cct\(randomHex(5))a"
      let b = String(a.dropLast()) + "b"
      ipIn(namespace, "link", "add", a, "type", "veth", "peer", "name", b)
      for _ in 0..<5 {
        ipIn(namespace, "link", "set", a, "up")
        ipIn(namespace, "link", "set", a, "down")
      }
      ipIn(namespace, "link", "set", b, "up")
      var overrun = false
      while !overrun {
        do {
          if try monitor.nextEvents(timeout: .milliseconds(200)).isEmpty { break }
        } catch LinkMonitorError.overrun {
          overrun = true
        }
      }
      #expect(overrun)
      let links = try monitor.dumpLinks()
      #expect(links[a]?.isUp == false)
      #expect(links[b] != nil)
    }
  }
}

// MARK: - ICMP

@Suite struct ICMPPacketTests {
  @Test func checksumMatchesRFC1071() {
    #expect(
      ICMPEchoSocket.internetChecksum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0x220D)
    #expect(ICMPEchoSocket.internetChecksum([0xFF]) == 0x00FF)
    let request = ICMPEchoSocket.echoRequest(
      identifier: 0x1234, sequence: 9, token: Array(1...16), checksum: true)
    #expect(ICMPEchoSocket.internetChecksum(request) == 0)
    #expect(Array(request.prefix(8)) == [8, 0, request[2], request[3], 0x12, 0x34, 0, 9])
  }

  private static let token: [UInt8] = Array(100..<116)

  private static func reply(
    type: UInt8 = 0, identifier: UInt16 = 0x1234, sequence: UInt16 = 9, token: [UInt8] = token
  ) -> [UInt8] {
    var icmp = ICMPEchoSocket.echoRequest(
      identifier: identifier, sequence: sequence, token: token, checksum: false)
    icmp[0] = type
    let sum = ICMPEchoSocket.internetChecksum(icmp)
    icmp[2] = UInt8(sum >> 8)
    icmp[3] = UInt8(sum & 0xFF)
    return icmp
  }

  private static func ipHeader(_ icmp: [UInt8]) -> [UInt8] {
    [0x45, 0, 0, UInt8(20 + icmp.count), 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
      + icmp
  }

  @Test func recognisesOnlyItsOwnReply() {
    let mine = Self.reply()
    #expect(
      ICMPEchoSocket.isReply(
        mine, includesIPHeader: false, identifier: nil, sequence: 9, token: Self.token))
    #expect(
      ICMPEchoSocket.isReply(
        Self.ipHeader(mine), includesIPHeader: true, identifier: 0x1234, sequence: 9,
        token: Self.token))
    let others: [[UInt8]] = [
      Self.reply(type: 8),  // our own request, looped back
      Self.reply(identifier: 0x4321),
      Self.reply(sequence: 8),
      Self.reply(token: Array(Self.token.reversed())),
      Array(mine.prefix(20)),
      [],
    ]
    for other in others {
      #expect(
        !ICMPEchoSocket.isReply(
          Self.ipHeader(other), includesIPHeader: true, identifier: 0x1234, sequence: 9,
          token: Self.token))
    }
    var corrupt = Self.ipHeader(mine)
    corrupt[corrupt.count - 1] ^= 0xFF
    #expect(
      !ICMPEchoSocket.isReply(
        corrupt, includesIPHeader: true, identifier: 0x1234, sequence: 9, token: Self.token))
    var badHeader = Self.ipHeader(mine)
    badHeader[0] = 0x42  // IHL 8 bytes
    #expect(
      !ICMPEchoSocket.isReply(
        badHeader, includesIPHeader: true, identifier: 0x1234, sequence: 9, token: Self.token))
  }

  @Test func rejectsBadAddresses() {
    #expect(throws: ICMPEchoError.invalidAddress("localhost")) {
      try ICMPEchoSocket.address("localhost")
    }
    #expect(throws: ICMPEchoError.invalidAddress("1.2.3")) {
      try ICMPEchoSocket(source: "1.2.3")
    }
    #expect(throws: ICMPEchoError.invalidAddress("::1")) {
      try ICMPEchoSocket.address("::1")
    }
  }
}

/// One blocking round trip at a time, for the tests; the agent's ping thread drives the socket
/// through its `PingSchedule` instead.
extension ICMPEchoSocket {
  /// Waits up to `timeout` for something to read. False on timeout.
  func waitReadable(timeout: Duration) -> Bool {
    guard fd >= 0 else { return false }
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ready = poll(&pfd, 1, Self.milliseconds(timeout))
    return ready > 0
  }

  /// One blocking round trip: sends a request and waits up to `timeout` for its reply.
  func ping(_ destination: String, timeout: Duration) -> Bool {
    guard let target = try? Self.address(destination), let request = send(to: target) else {
      return false
    }
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
      let remaining = ContinuousClock.now.duration(to: deadline)
      guard remaining > .zero else { return false }
      guard waitReadable(timeout: remaining) else { continue }
      if receiveReplies().contains(where: { request.isAnswered(by: $0) }) { return true }
    }
  }
}

@Suite(.enabled(if: runningAsRoot, "ICMP sockets and namespaces need root here"))
struct ICMPEchoSocketLiveTests {
  @Test func pingsLoopback() throws {
    let pinger = try ICMPEchoSocket(source: nil)
    defer { pinger.close() }
    for _ in 0..<3 { #expect(pinger.ping("127.0.0.1", timeout: .seconds(1))) }
    let bound = try ICMPEchoSocket(source: "127.0.0.1")
    #expect(bound.ping("127.0.0.1", timeout: .seconds(1)))
    bound.close()
    #expect(!bound.ping("127.0.0.1", timeout: .seconds(1)))
  }

  @Test(arguments: [ICMPEchoSocket.SocketKind.datagram, .raw])
  func pingsInNamespace(kind: ICMPEchoSocket.SocketKind) throws {
    try withTestNamespace { namespace in
      ipIn(namespace, "link", "set", "lo", "up")
      // Per namespace: opens datagram ICMP to root there without touching the host setting.
      sysctlIn(namespace, "net.ipv4.ping_group_range=0 0")
      let pinger = try runOnThread(inNamespace: namespace) {
        try ICMPEchoSocket(source: nil, kind: kind)
      }
      defer { pinger.close() }
      #expect(pinger.kind == kind)
      for _ in 0..<3 { #expect(pinger.ping("127.0.0.1", timeout: .seconds(1))) }

      // A second pinger on the same host sees the first one's replies (raw) or has its own
      // identifier (datagram); either way each gets exactly its own.
      let other = try runOnThread(inNamespace: namespace) {
        try ICMPEchoSocket(source: nil, kind: kind)
      }
      defer { other.close() }
      #expect(pinger.ping("127.0.0.1", timeout: .seconds(1)))
      #expect(other.ping("127.0.0.1", timeout: .seconds(1)))

      // Nobody answers: the timeout path.
      sysctlIn(namespace, "net.ipv4.icmp_echo_ignore_all=1")
      let start = ContinuousClock.now
      #expect(!pinger.ping("127.0.0.1", timeout: .milliseconds(300)))
      let waited = ContinuousClock.now - start
      #expect(waited >= .milliseconds(290) && waited < .seconds(2))
    }
  }

  @Test func automaticKindFollowsPingGroupRange() throws {
    try withTestNamespace { namespace in
      ipIn(namespace, "link", "set", "lo", "up")
      // Fresh namespaces start with the empty range "1 0": datagram refused, raw it is.
      let raw = try runOnThread(inNamespace: namespace) {
        try ICMPEchoSocket(source: nil)
      }
      #expect(raw.kind == .raw)
      #expect(raw.ping("127.0.0.1", timeout: .seconds(1)))
      raw.close()
      sysctlIn(namespace, "net.ipv4.ping_group_range=0 0")
      let datagram = try runOnThread(inNamespace: namespace) {
        try ICMPEchoSocket(source: nil)
      }
      #expect(datagram.kind == .datagram)
      #expect(datagram.ping("127.0.0.1", timeout: .seconds(1)))
      datagram.close()
    }
  }

  @Test func nonLocalSourceIsRefused() throws {
    try withTestNamespace { namespace in
      ipIn(namespace, "link", "set", "lo", "up")
      // Only 127/8 is local in a fresh namespace.
      for kind in [ICMPEchoSocket.SocketKind.raw, .datagram] {
        sysctlIn(namespace, "net.ipv4.ping_group_range=0 0")
        #expect(throws: ICMPEchoError.system(call: "bind", errno: EADDRNOTAVAIL)) {
          try runOnThread(inNamespace: namespace) {
            try ICMPEchoSocket(source: "198.51.100.7", kind: kind)
          }
        }
      }
    }
  }

  @Test(arguments: [ICMPEchoSocket.SocketKind.datagram, .raw])
  func unroutableAddressFailsInNamespace(kind: ICMPEchoSocket.SocketKind) throws {
    try withTestNamespace { namespace in
      ipIn(namespace, "link", "set", "lo", "up")
      sysctlIn(namespace, "net.ipv4.ping_group_range=0 0")
      let pinger = try runOnThread(inNamespace: namespace) {
        try ICMPEchoSocket(source: nil, kind: kind)
      }
      defer { pinger.close() }
      let start = ContinuousClock.now
      // ENETUNREACH: no route at all.
      #expect(!pinger.ping("192.0.2.1", timeout: .milliseconds(300)))
      #expect(ContinuousClock.now - start < .seconds(2))
    }
  }

  /// Only where TEST-NET-1 has no route: on some hosts (this one) it is the lab's gateway.
  @Test(
    .enabled(if: runCommand(["ip", "route", "get", "192.0.2.1"]).status != 0, "192.0.2.1 routed"))
  func unroutableAddressFailsHere() throws {
    let pinger = try ICMPEchoSocket(source: nil)
    defer { pinger.close() }
    #expect(!pinger.ping("192.0.2.1", timeout: .milliseconds(300)))
  }
}

// MARK: - Peer credentials

// Serialized: the tests use getpwnam/getgrent, whose results live in shared static storage.
@Suite(.serialized) struct PeerCredentialsTests {
  @Test func socketPairShowsOurselves() throws {
    var pair: [Int32] = [-1, -1]
    #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
    defer { for fd in pair { close(fd) } }
    let expected = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    #expect(try PeerCredentials.of(socket: pair[0]) == expected)
    #expect(try PeerCredentials.of(socket: pair[1]) == expected)
  }

  @Test func notASocketThrows() throws {
    #expect(throws: PeerCredentialsError(call: "getsockopt(SO_PEERCRED)", errno: EBADF)) {
      try PeerCredentials.of(socket: -1)
    }
    var fds: [Int32] = [-1, -1]
    #expect(pipe(&fds) == 0)
    defer { for fd in fds { close(fd) } }
    #expect(throws: PeerCredentialsError(call: "getsockopt(SO_PEERCRED)", errno: ENOTSOCK)) {
      try PeerCredentials.of(socket: fds[0])
    }
  }

  @Test func groupMembership() {
    #expect(PeerCredentials.isMember(uid: 0, gid: 0, ofGroup: "root"))
    // root's primary group counts even when the peer runs with another gid.
    #expect(PeerCredentials.isMember(uid: 0, gid: 4242, ofGroup: "root"))
    #expect(!PeerCredentials.isMember(uid: 0, gid: 0, ofGroup: "no-such-group-ccagent"))
    // A uid without a passwd entry is a member only through its gid.
    #expect(PeerCredentials.isMember(uid: 3_999_999, gid: 0, ofGroup: "root"))
    #expect(!PeerCredentials.isMember(uid: 3_999_999, gid: 4242, ofGroup: "root"))
    if let daemon = getpwnam("daemon")?.pointee, daemon.pw_gid != 0 {
      #expect(!PeerCredentials.isMember(uid: daemon.pw_uid, gid: daemon.pw_gid, ofGroup: "root"))
    }
  }

  /// The first supplementary membership in the group database, when this host has one.
  @Test func supplementaryGroup() throws {
    var found: (group: String, uid: UInt32, gid: UInt32)?
    setgrent()
    while found == nil, let entry = getgrent()?.pointee {
      guard let members = entry.gr_mem, let first = members[0], let name = entry.gr_name,
        let user = getpwnam(first)?.pointee, user.pw_gid != entry.gr_gid
      else { continue }
      found = (String(cString: name), user.pw_uid, user.pw_gid)
    }
    endgrent()
    guard let found else { return }
    #expect(PeerCredentials.isMember(uid: found.uid, gid: found.gid, ofGroup: found.group))
  }
}

// MARK: - Ping schedule and the ping thread

@Suite struct PingScheduleTests {
  private static let start = ContinuousClock.now

  private func at(_ milliseconds: Int) -> ContinuousClock.Instant {
    Self.start.advanced(by: .milliseconds(milliseconds))
  }

  private func target(_ address: String, _ milliseconds: Int, source: String? = nil) -> PingTarget {
    PingTarget(address: address, sourceAddress: source, interval: .milliseconds(milliseconds))
  }

  private func request(_ address: String, _ sequence: UInt16) -> EchoRequest {
    EchoRequest(
      destination: try! ICMPEchoSocket.address(address), sequence: sequence,
      token: Array(repeating: UInt8(sequence), count: ICMPEchoSocket.tokenLength))
  }

  private func reply(to request: EchoRequest, from address: String? = nil) -> EchoReply {
    EchoReply(
      source: address.map { try! ICMPEchoSocket.address($0) } ?? request.destination,
      sequence: request.sequence, token: request.token)
  }

  @Test func newTargetsAreDueAtOnceThenEveryInterval() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.2", 1000), target("10.0.0.1", 500)], now: at(0))
    #expect(schedule.due(now: at(0)).map(\.target.address) == ["10.0.0.1", "10.0.0.2"])
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(0))
    _ = schedule.sent("10.0.0.2", request: request("10.0.0.2", 2), now: at(0))
    #expect(schedule.due(now: at(499)).isEmpty)
    #expect(schedule.nextWake == at(500))
    // No reply to 10.0.0.1 by its next request: a failure, then the next request.
    #expect(schedule.expire(now: at(500)) == ["10.0.0.1"])
    #expect(schedule.due(now: at(500)).map(\.target.address) == ["10.0.0.1"])
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 3), now: at(500))
    // 10.0.0.2 answers: a success, and only once.
    #expect(schedule.received(reply(to: request("10.0.0.2", 2))) == "10.0.0.2")
    #expect(schedule.received(reply(to: request("10.0.0.2", 2))) == nil)
    #expect(schedule.expire(now: at(1000)) == ["10.0.0.1"])
    #expect(schedule.due(now: at(1000)).map(\.target.address) == ["10.0.0.1", "10.0.0.2"])
  }

  @Test func repliesMustMatchAddressSequenceAndToken() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 1000)], now: at(0))
    let sent = request("10.0.0.1", 7)
    _ = schedule.sent("10.0.0.1", request: sent, now: at(0))
    #expect(schedule.received(reply(to: sent, from: "10.0.0.9")) == nil)
    #expect(schedule.received(reply(to: request("10.0.0.1", 6))) == nil)
    var forged = reply(to: sent)
    forged.token[0] ^= 1
    #expect(schedule.received(forged) == nil)
    #expect(schedule.received(reply(to: sent)) == "10.0.0.1")
  }

  @Test func lateThreadDoesNotBurst() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 100)], now: at(0))
    _ = schedule.sent("10.0.0.1", request: nil, now: at(0))
    // The thread comes back 1 s late: one request now, the next an interval after it.
    #expect(schedule.due(now: at(1000)).count == 1)
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(1000))
    #expect(schedule.due(now: at(1099)).isEmpty)
    #expect(schedule.nextWake == at(1100))
  }

  @Test func lateSendStillReportsEveryFailure() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 200)], now: at(0))
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(0))
    // The thread wakes 5 ms late: the failure first, then a request whose reply is due by the
    // next regular request (400), not 200 ms after this late one.
    #expect(schedule.expire(now: at(205)) == ["10.0.0.1"])
    let supersededLate = schedule.sent("10.0.0.1", request: request("10.0.0.1", 2), now: at(205))
    #expect(!supersededLate)
    #expect(schedule.nextWake == at(400))
    #expect(schedule.expire(now: at(400)) == ["10.0.0.1"])
    // A request superseded before it expired is reported by `sent`.
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 3), now: at(400))
    let superseded = schedule.sent("10.0.0.1", request: request("10.0.0.1", 4), now: at(401))
    #expect(superseded)
  }

  @Test func updateKeepsRhythmAndForgetsRemovedAddresses() {
    var schedule = PingSchedule()
    schedule.update([target("10.0.0.1", 1000), target("10.0.0.2", 1000)], now: at(0))
    _ = schedule.sent("10.0.0.1", request: request("10.0.0.1", 1), now: at(0))
    _ = schedule.sent("10.0.0.2", request: request("10.0.0.2", 2), now: at(0))
    schedule.update([target("10.0.0.1", 1000), target("10.0.0.3", 1000)], now: at(300))
    #expect(schedule.due(now: at(300)).map(\.target.address) == ["10.0.0.3"])
    #expect(schedule.received(reply(to: request("10.0.0.2", 2))) == nil)
    #expect(schedule.received(reply(to: request("10.0.0.1", 1))) == "10.0.0.1")
    #expect(PingSchedule().nextWake == nil)
  }
}

@Suite(.enabled(if: runningAsRoot, "ICMP sockets and namespaces need root here"))
struct IPMonitorThreadLiveTests {
  /// Reads ping results until `done` holds for all read so far, or `bound` passes. Counts, not
  /// time windows: a loaded machine may run this task late, never the results out of order.
  private func collect(
    _ iterator: inout AsyncStream<DriverInput>.Iterator, _ inputs: DriverInputs,
    within bound: Duration = .seconds(10), until done: ([PingResult]) -> Bool
  ) async -> [PingResult] {
    let marker = "timeout-\(randomHex(8))"
    let timer = Task {
      try? await Task.sleep(for: bound)
      inputs.yield(.interface(marker, .up))
    }
    defer { timer.cancel() }
    var seen: [PingResult] = []
    while let input = await iterator.next() {
      switch input {
      case .pings(let results):
        seen += results
        if done(seen) { return seen }
      case .interface(let name, _) where name == marker:
        return seen
      default:
        continue
      }
    }
    return seen
  }

  private func replies(_ results: [PingResult], _ address: String) -> [Bool] {
    results.filter { $0.address == address }.map(\.replied)
  }

  @Test func oneThreadServesEveryAddress() async throws {
    try await withTestNamespaceAsync { namespace in
      ipIn(namespace, "link", "set", "lo", "up")
      let interval = Duration.milliseconds(200)
      let thread = try IPMonitorThread(targets: [
        PingTarget(address: "127.0.0.1", sourceAddress: nil, interval: interval),
        PingTarget(address: "127.0.0.2", sourceAddress: "127.0.0.1", interval: interval),
        PingTarget(address: "192.0.2.1", sourceAddress: nil, interval: interval),
      ])
      let inputs = DriverInputs()
      var iterator = inputs.stream.makeAsyncIterator()
      // The ping thread inherits the namespace of the thread that starts it.
      try runOnThread(inNamespace: namespace) {
        thread.start(inputs: inputs, logger: Logger(label: "test"))
      }
      defer { thread.stop() }
      let addresses = ["127.0.0.1", "127.0.0.2", "192.0.2.1"]
      let first = await collect(&iterator, inputs) { seen in
        addresses.allSatisfy { replies(seen, $0).count >= 4 }
      }
      #expect(replies(first, "127.0.0.1").count >= 4)
      #expect(replies(first, "127.0.0.1").allSatisfy { $0 })
      #expect(replies(first, "127.0.0.2").count >= 4)
      #expect(replies(first, "127.0.0.2").allSatisfy { $0 })
      // No route: each request fails at once (ENETUNREACH).
      #expect(replies(first, "192.0.2.1").count >= 4)
      #expect(replies(first, "192.0.2.1").allSatisfy { !$0 })

      // A reload: once the new address is pinged, the old ones never are again.
      thread.update(targets: [
        PingTarget(address: "127.0.0.3", sourceAddress: nil, interval: interval)
      ])
      let second = await collect(&iterator, inputs) { replies($0, "127.0.0.3").count >= 3 }
      let sinceNew = second.drop { $0.address != "127.0.0.3" }
      #expect(sinceNew.count >= 3)
      #expect(sinceNew.allSatisfy { $0.address == "127.0.0.3" && $0.replied })

      // Nobody answers: one failure per interval, reported when the next request goes out.
      sysctlIn(namespace, "net.ipv4.icmp_echo_ignore_all=1")
      let third = await collect(&iterator, inputs) { seen in
        replies(seen, "127.0.0.3").reversed().prefix { !$0 }.count >= 3
      }
      #expect(replies(third, "127.0.0.3").reversed().prefix { !$0 }.count >= 3)
      #expect(Set(third.map(\.address)) == ["127.0.0.3"])
    }
  }
}
