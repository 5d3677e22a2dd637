import ClusterTestSupport
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

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
    var rng = SplitMix64(seed: 0x5EED_0101)
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
