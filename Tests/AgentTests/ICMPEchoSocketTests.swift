import ClusterTestSupport
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

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
