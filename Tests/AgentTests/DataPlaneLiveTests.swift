import CLinux
import Cluster
import Foundation
import Logging
import Synchronization
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Frames (pure)

/// RFC 1071 written out again here, so the frame tests do not trust the code under test.
private func onesComplementSum(_ bytes: [UInt8]) -> UInt16 {
  var sum: UInt32 = 0
  var index = 0
  while index < bytes.count {
    let high = UInt32(bytes[index]) << 8
    let low = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
    sum += high | low
    index += 2
  }
  while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
  return ~UInt16(sum)
}

@Suite struct DataPlaneFrameTests {
  let mac: [UInt8] = [0x02, 0xCC, 0xA5, 0x00, 0x01, 0x00]

  @Test func gratuitousARPBytes() throws {
    let address = try #require(IPPrefix("192.0.2.1/24")).bytes
    let frame = NeighbourAnnouncement.gratuitousARP(mac: mac, address: address)
    let expected: [UInt8] =
      [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + mac + [0x08, 0x06]
      + [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
      + mac + [192, 0, 2, 1] + [0, 0, 0, 0, 0, 0] + [192, 0, 2, 1]
      + [UInt8](repeating: 0, count: 18)
    #expect(frame == expected)
    #expect(frame.count == 60)
  }

  @Test(arguments: [false, true])
  func neighbourAdvertisementBytes(router: Bool) throws {
    let target = try #require(IPPrefix("2001:db8:1::1/64")).bytes
    let source = try #require(linkLocalAddress(mac: mac)).bytes
    let frame = NeighbourAnnouncement.unsolicitedNA(
      mac: mac, source: source, target: target, router: router)
    #expect(frame.count == 14 + 40 + 32)
    #expect(Array(frame[0..<14]) == [0x33, 0x33, 0, 0, 0, 1] + mac + [0x86, 0xDD])
    #expect(Array(frame[14..<22]) == [0x60, 0, 0, 0, 0, 32, 58, 255])
    #expect(Array(frame[22..<38]) == source)
    #expect(Array(frame[38..<54]) == [0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [1])
    let icmp = Array(frame[54...])
    #expect(icmp[0] == 136 && icmp[1] == 0)
    #expect(icmp[4] == (router ? 0xA0 : 0x20))  // O, plus R when forwarding; never S
    #expect(Array(icmp[8..<24]) == target)
    #expect(Array(icmp[24...]) == [2, 1] + mac)
    // The checksum over pseudo-header and message verifies to zero...
    let pseudo = source + Array(frame[38..<54]) + [0, 0, 0, 32, 0, 0, 0, 58]
    #expect(onesComplementSum(pseudo + icmp) == 0)
    // ...and is the one computed by hand over the message with a zero field.
    var zeroed = icmp
    zeroed[2] = 0
    zeroed[3] = 0
    let sum = onesComplementSum(pseudo + zeroed)
    #expect(icmp[2] == UInt8(sum >> 8) && icmp[3] == UInt8(sum & 0xFF))
  }
}

// MARK: - Live set-up (as root)

private struct DataPlaneTestError: Error, CustomStringConvertible {
  var description: String
}

/// Runs a command, returning its status and combined output.
@discardableResult
func sh(_ arguments: String...) -> (status: Int32, output: String) { sh(arguments) }

/// A namespace `ccdp-PID-RANDOM` with a veth pair `lan0` (the member) — `lan1` (the LAN side),
/// both up; deleted with everything in it when `body` ends, even on failure.
func withLAN<T>(_ body: (String) throws -> T) throws -> T {
  let name = "ccdp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
  let created = sh("ip", "netns", "add", name)
  guard created.status == 0 else { throw DataPlaneTestError(description: created.output) }
  defer { sh("ip", "netns", "del", name) }
  for command in [
    ["link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
    ["link", "set", "lan0", "up"], ["link", "set", "lan1", "up"], ["link", "set", "lo", "up"],
  ] {
    let result = sh(["ip", "-n", name] + command)
    guard result.status == 0 else { throw DataPlaneTestError(description: result.output) }
  }
  // The LAN side must not answer or solicit anything of its own during the tests.
  sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.lan1.disable_ipv6=1")
  return try body(name)
}

@discardableResult
func sh(_ arguments: [String]) -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  do { try process.run() } catch { return (-1, "\(error)") }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs `body` on a fresh thread inside `namespace`: sockets and /proc/sys/net writes made there
/// act in the namespace, the rest of the process stays outside.
func inNamespace<T: Sendable>(
  _ namespace: String, _ body: @escaping @Sendable () throws -> T
)
  throws -> T
{
  let result = Mutex<Result<T, any Error>?>(nil)
  let thread = NamedThread(name: "dp-test") {
    let outcome = Result<T, any Error> {
      let fd = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { throw DataPlaneTestError(description: "open netns: \(errno)") }
      defer { close(fd) }
      guard ccagent_setns(fd, 0x4000_0000) == 0 else {  // CLONE_NEWNET
        throw DataPlaneTestError(description: "setns: \(errno)")
      }
      return try body()
    }
    result.withLock { $0 = outcome }
  }
  guard thread.start() == 0 else { throw DataPlaneTestError(description: "thread") }
  thread.join()
  guard let outcome = result.withLock({ $0 }) else {
    throw DataPlaneTestError(description: "no result")
  }
  return try outcome.get()
}

extension PacketSocket {
  /// The next frame within `timeout`, or nil.
  fileprivate func receive(timeout: Duration) -> [UInt8]? {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var buffer = [UInt8](repeating: 0, count: 2048)
    while ContinuousClock.now < deadline {
      var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let millis = ContinuousClock.now.duration(to: deadline).components.seconds * 1000 + 10
      guard poll(&pfd, 1, Int32(millis)) > 0 else { continue }
      let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
      if count > 0 { return Array(buffer.prefix(count)) }
    }
    return nil
  }

  /// Frames received within `window` that match `keep`, with their arrival times.
  func collect(for window: Duration, _ keep: ([UInt8]) -> Bool)
    -> [(ContinuousClock.Instant, [UInt8])]
  {
    let end = ContinuousClock.now.advanced(by: window)
    var frames: [(ContinuousClock.Instant, [UInt8])] = []
    while ContinuousClock.now < end {
      if let frame = receive(timeout: ContinuousClock.now.duration(to: end)), keep(frame) {
        frames.append((.now, frame))
      }
    }
    return frames
  }
}

private func isAnnouncement(_ frame: [UInt8], from mac: [UInt8]) -> Bool {
  guard frame.count >= 60, Array(frame[6..<12]) == mac else { return false }
  if frame[12] == 0x08 && frame[13] == 0x06 { return true }
  return frame[12] == 0x86 && frame[13] == 0xDD && frame[20] == 58 && frame[54] == 136
}

let sharedMAC: [UInt8] = [0x02, 0xCC, 0xA5, 0x00, 0x07, 0x00]

// MARK: - Live tests

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct DataPlaneLiveTests {
  @Test func netlinkManagesAMacvlanAndItsAddresses() throws {
    try withLAN { namespace in
      try inNamespace(namespace) {
        let netlink = try RouteNetlink()
        let parent = try #require(try netlink.link(named: "lan0"))
        #expect(try netlink.link(named: "reth0") == nil)
        try netlink.createMacvlan(name: "reth0", parent: parent.index, mac: sharedMAC)
        let reth = try #require(try netlink.link(named: "reth0"))
        #expect(reth.kind == "macvlan" && reth.parentIndex == parent.index && reth.mac == sharedMAC)
        #expect(!reth.isAdministrativelyUp)
        #expect(throws: RouteNetlinkError.kernel(operation: "create reth0", errno: EEXIST)) {
          try netlink.createMacvlan(name: "reth0", parent: parent.index, mac: sharedMAC)
        }
        try netlink.setLink(index: reth.index, up: true)
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == true)
        let v4 = try #require(IPPrefix("192.0.2.1/24"))
        let v6 = try #require(IPPrefix("2001:db8:1::1/64"))
        try netlink.addAddress(v4, index: reth.index, noDAD: false)
        try netlink.addAddress(v6, index: reth.index, noDAD: true)
        let records = try netlink.addresses(index: reth.index)
        #expect(records.contains { $0.prefix == v4 })
        // NODAD: not tentative (IFA_F_TENTATIVE 0x40), and the flag is reported back.
        let six = try #require(records.first { $0.prefix == v6 })
        #expect(six.flags & 0x02 != 0 && six.flags & 0x40 == 0)
        #expect(throws: RouteNetlinkError.kernel(operation: "add \(v4)", errno: EEXIST)) {
          try netlink.addAddress(v4, index: reth.index, noDAD: false)
        }
        try netlink.deleteAddress(v4, index: reth.index)
        #expect(throws: RouteNetlinkError.kernel(operation: "delete \(v4)", errno: EADDRNOTAVAIL)) {
          try netlink.deleteAddress(v4, index: reth.index)
        }
        let other: [UInt8] = [0x02, 0xCC, 0xA5, 0, 7, 9]
        try netlink.setLink(index: reth.index, up: false)
        // Kernel fact: a link going down loses its IPv6 addresses (keep_addr_on_down=0).
        #expect(try netlink.addresses(index: reth.index).allSatisfy { $0.prefix != v6 })
        try netlink.setMAC(index: reth.index, mac: other)
        #expect(try netlink.link(named: "reth0")?.mac == other)
        try netlink.deleteLink(index: reth.index)
        #expect(try netlink.link(named: "reth0") == nil)
      }
    }
  }

  @Test func framesReachThePeerAndADownLinkSendsNothing() throws {
    try withLAN { namespace in
      try inNamespace(namespace) {
        let netlink = try RouteNetlink()
        let parent = try #require(try netlink.link(named: "lan0"))
        let peer = try #require(try netlink.link(named: "lan1"))
        try netlink.createMacvlan(name: "reth0", parent: parent.index, mac: sharedMAC)
        let reth = try #require(try netlink.link(named: "reth0"))
        let receiver = try PacketSocket(interfaceIndex: peer.index, receiveProtocol: 0x0003)
        let sender = try PacketSocket(interfaceIndex: reth.index)
        let garp = NeighbourAnnouncement.gratuitousARP(mac: sharedMAC, address: [192, 0, 2, 1])
        #expect(throws: PacketSocketError.system(call: "sendto", errno: ENETDOWN)) {
          try sender.send(garp)
        }
        try netlink.setLink(index: reth.index, up: true)
        let source = try #require(linkLocalAddress(mac: sharedMAC)).bytes
        let na = NeighbourAnnouncement.unsolicitedNA(
          mac: sharedMAC, source: source, target: try #require(IPPrefix("2001:db8::1")).bytes,
          router: true)
        try sender.send(garp)
        try sender.send(na)
        let frames = receiver.collect(for: .milliseconds(300)) {
          isAnnouncement($0, from: sharedMAC)
        }
        #expect(frames.map(\.1) == [garp, na])
      }
    }
  }

  @Test func controllerActivatesAnnouncesAndDeactivatesCancelsTheSecondBurst() throws {
    try withLAN { namespace in
      let counts = try inNamespace(namespace) { () -> [Int] in
        let spec = try #require(
          RethSpec(
            name: "reth0", member: "lan0", mac: sharedMAC,
            addresses: ["192.0.2.1/24", "2001:db8:1::1/64"], announcementCount: 3))
        let controller = try RethController(
          specs: [spec], pacing: .milliseconds(50), secondBurstDelay: .milliseconds(800))
        try controller.prepareDown("reth0")
        let netlink = try RouteNetlink()
        let peer = try #require(try netlink.link(named: "lan1"))
        let receiver = try PacketSocket(interfaceIndex: peer.index, receiveProtocol: 0x0003)
        try controller.activate("reth0")
        let reth = try #require(try netlink.link(named: "reth0"))
        #expect(reth.isAdministrativelyUp)
        let present = Set(try netlink.addresses(index: reth.index).map(\.prefix.description))
        #expect(
          present == ["192.0.2.1/24", "2001:db8:1::1/64", "fe80::cc:a5ff:fe00:700/64"])
        // Drive the queue as the owner thread would, capturing meanwhile.
        var frames: [(ContinuousClock.Instant, [UInt8])] = []
        let end = ContinuousClock.now.advanced(by: .milliseconds(1200))
        while ContinuousClock.now < end {
          controller.sendDueAnnouncements()
          frames += receiver.collect(for: .milliseconds(10)) { isAnnouncement($0, from: sharedMAC) }
        }
        let first = frames.filter { $0.0 < frames[0].0.advanced(by: .milliseconds(500)) }
        let counters = try #require(controller.counters("reth0"))
        // Then deactivate with rounds queued: they must never be sent.
        controller.announce("reth0")
        try controller.deactivate("reth0")
        controller.sendDueAnnouncements(now: .now.advanced(by: .seconds(10)))
        let after = receiver.collect(for: .milliseconds(400)) {
          isAnnouncement($0, from: sharedMAC)
        }
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == false)
        #expect(try netlink.addresses(index: reth.index).isEmpty)
        // Pacing: consecutive rounds of the first burst at least ~50 ms apart.
        let garps = first.filter { $0.1[12] == 0x08 }.map(\.0)
        let gaps = zip(garps.dropFirst(), garps).map { $0.0 - $0.1 }
        #expect(gaps.allSatisfy { $0 >= .milliseconds(40) })
        try controller.remove("reth0")
        #expect(try netlink.link(named: "reth0") == nil)
        return [
          first.count, frames.count, after.count, counters.gratuitousARPsSent,
          counters.neighbourAdvertisementsSent,
        ]
      }
      // 3 rounds × (1 GARP + 1 NA) per burst, two bursts; of the announce() just before the
      // deactivate only its immediate first round (2 frames) goes out, the 2 queued are dropped.
      #expect(counts == [6, 12, 2, 6, 6])
    }
  }

  @Test func watchdogReportsTamperingAndRestorePutsItBack() throws {
    try withLAN { namespace in
      let reports = Mutex<[String]>([])
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(
            name: "reth0", member: "lan0", mac: sharedMAC,
            addresses: ["192.0.2.1/24", "2001:db8:1::1/64"], announcementCount: 1))
        let controller = try RethController(specs: [spec])
        let watchdog = try RethWatchdog(
          list: controller.watchList, ignoredPort: controller.netlinkPort
        ) {
          reth, change in reports.withLock { $0.append("\(reth) \(change)") }
        }
        defer { watchdog.stop() }
        try controller.prepareDown("reth0")
        try controller.activate("reth0")
        // Our own changes are not tampering.
        try controller.deactivate("reth0")
        try controller.activate("reth0")
        usleep(200_000)
        #expect(reports.withLock { $0 }.isEmpty)
        try controller.activate("reth0")  // Already active, nothing missing: nothing done.
        #expect(controller.counters("reth0")?.restores == 0)

        #expect(
          sh("ip", "-n", namespace, "addr", "del", "192.0.2.1/24", "dev", "reth0").status == 0)
        #expect(waitFor { reports.withLock { $0 }.contains("reth0 addressRemoved(192.0.2.1/24)") })
        #expect(try controller.restore("reth0") == [.addressRemoved(IPPrefix("192.0.2.1/24")!)])
        #expect(try controller.restore("reth0") == [])  // Nothing missing any more.

        #expect(sh("ip", "-n", namespace, "link", "set", "reth0", "down").status == 0)
        #expect(waitFor { reports.withLock { $0 }.contains("reth0 linkDown") })
        let repaired = try controller.restore("reth0")
        #expect(repaired.first == .linkDown)
        // The kernel dropped the IPv6 addresses with the link: ours are back too.
        #expect(repaired.contains(.addressRemoved(IPPrefix("2001:db8:1::1/64")!)))
        let netlink = try RouteNetlink()
        let reth = try #require(try netlink.link(named: "reth0"))
        #expect(reth.isAdministrativelyUp)
        #expect(
          Set(try netlink.addresses(index: reth.index).map(\.prefix))
            == Set(
              ["192.0.2.1/24", "2001:db8:1::1/64", "fe80::cc:a5ff:fe00:700/64"].compactMap(
                IPPrefix.init)))
        #expect(controller.counters("reth0")?.restores == 2)
        try controller.remove("reth0")
      }
    }
  }

  @Test func sysctlsAreSetAndRestored() throws {
    try withLAN { namespace in
      let values = try inNamespace(namespace) { () -> [String] in
        let spec = try #require(
          RethSpec(name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"]))
        let controller = try RethController(specs: [spec])
        let parentPath = "/proc/sys/net/ipv4/conf/lan0/arp_ignore"
        let before = try RethSysctls.read(parentPath)
        try controller.prepareDown("reth0")
        var values = [before, try RethSysctls.read(parentPath)]
        for path in [
          "ipv4/conf/reth0/arp_ignore", "ipv4/conf/reth0/arp_announce",
          "ipv6/conf/reth0/addr_gen_mode", "ipv6/conf/reth0/accept_dad",
        ] {
          values.append(try RethSysctls.read("/proc/sys/net/\(path)"))
        }
        try controller.remove("reth0")
        values.append(try RethSysctls.read(parentPath))
        #expect(controller.restoreSysctls().isEmpty)
        return values
      }
      #expect(values == ["0", "1", "1", "2", "1", "0", "0"])
    }
  }
}

private func waitFor(_ condition: () -> Bool) -> Bool {
  let deadline = ContinuousClock.now.advanced(by: .seconds(2))
  while ContinuousClock.now < deadline {
    if condition() { return true }
    usleep(10_000)
  }
  return condition()
}

/// A second namespace, the client, holding `lan1` with `clientAddresses`; deleted at the end.
private func withClient<T>(
  of namespace: String, addresses clientAddresses: [String], _ body: (String) throws -> T
) throws -> T {
  let client = namespace + "c"
  let created = sh("ip", "netns", "add", client)
  guard created.status == 0 else { throw DataPlaneTestError(description: created.output) }
  defer { sh("ip", "netns", "del", client) }
  var commands = [["ip", "-n", namespace, "link", "set", "lan1", "netns", client]]
  commands.append(["ip", "-n", client, "link", "set", "lan1", "up"])
  commands.append([
    "ip", "netns", "exec", client, "sysctl", "-qw", "net.ipv6.conf.lan1.disable_ipv6=0",
  ])
  for address in clientAddresses {
    commands.append(["ip", "-n", client, "addr", "add", address, "dev", "lan1", "nodad"])
  }
  for command in commands {
    let result = sh(command)
    guard result.status == 0 else {
      throw DataPlaneTestError(description: "\(command): \(result.output)")
    }
  }
  return try body(client)
}

/// The MAC in `ip neigh show ADDRESS dev lan1`, or "".
private func neighbourMAC(_ client: String, _ address: String) -> String {
  let words = sh("ip", "-n", client, "neigh", "show", address, "dev", "lan1").output.split(
    separator: " ")
  guard let at = words.firstIndex(of: "lladdr"), at + 1 < words.count else { return "" }
  return String(words[at + 1])
}

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct DataPlaneClientTests {
  /// A client with stale entries for the reth's addresses (another MAC, as after a failover
  /// from a node with other MACs) learns the shared MAC from the GARP and the NA alone, and
  /// then reaches both addresses; the member never answers ARP for them with its own MAC.
  @Test func clientLearnsTheSharedMACAndReachesTheAddresses() throws {
    try withLAN { namespace in
      try withClient(of: namespace, addresses: ["192.0.2.2/24", "2001:db8:1::2/64"]) { client in
        let old = "02:00:00:00:00:99"
        for address in ["192.0.2.1", "2001:db8:1::1"] {
          #expect(
            sh(
              "ip", "-n", client, "neigh", "replace", address, "lladdr", old, "dev", "lan1", "nud",
              "stale"
            )
            .status == 0)
        }
        try inNamespace(namespace) {
          let spec = try #require(
            RethSpec(
              name: "reth0", member: "lan0", mac: sharedMAC,
              addresses: ["192.0.2.1/24", "2001:db8:1::1/64"], announcementCount: 2))
          let controller = try RethController(specs: [spec])
          try controller.prepareDown("reth0")
          try controller.activate("reth0")
          usleep(150_000)
          controller.sendDueAnnouncements()
        }
        let shared = RethMAC.text(sharedMAC)
        #expect(neighbourMAC(client, "192.0.2.1") == shared)
        #expect(neighbourMAC(client, "2001:db8:1::1") == shared)
        // Now from scratch: the answer to the client's own ARP request must be the reth's.
        sh("ip", "-n", client, "neigh", "flush", "dev", "lan1")
        let (reached, repliers) = try inNamespace(client) { () -> (Bool, [String]) in
          let lan = try #require(try RouteNetlink().link(named: "lan1"))
          let capture = try PacketSocket(interfaceIndex: lan.index, receiveProtocol: 0x0806)
          let reached = try ICMPEchoSocket(kind: .raw).ping("192.0.2.1", timeout: .seconds(2))
          // Every ARP reply for 192.0.2.1, by sender MAC: the member must not be among them.
          let replies = capture.collect(for: .milliseconds(200)) {
            $0.count >= 42 && $0[21] == 2 && Array($0[28..<32]) == [192, 0, 2, 1]
          }
          return (reached, replies.map { RethMAC.text(Array($0.1[22..<28])) })
        }
        #expect(reached)
        #expect(repliers == [RethMAC.text(sharedMAC)])
        // No ping6 here: a TCP connection to a closed port answered by a reset proves the
        // address reachable (a timeout would not).
        #expect(tcpRefused(client, "2001:db8:1::1"))
        #expect(tcpRefused(client, "192.0.2.1"))
        #expect(neighbourMAC(client, "192.0.2.1") == shared)
        #expect(neighbourMAC(client, "2001:db8:1::1") == shared)
      }
    }
  }
}

/// Whether a TCP connection from `client` to port 9 of `address` is refused (the host answered).
private func tcpRefused(_ client: String, _ address: String) -> Bool {
  let script =
    "import socket,sys\ntry:\n socket.create_connection(('\(address)', 9), 2)\nexcept ConnectionRefusedError:\n sys.exit(0)\nexcept Exception:\n sys.exit(1)\nsys.exit(2)"
  return sh("ip", "netns", "exec", client, "python3", "-c", script).status == 0
}

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct DataPlaneRecoveryTests {
  /// A reth left up, with addresses and another MAC, by an agent that crashed: prepareDown
  /// leaves it down, empty and with the shared MAC.
  @Test func prepareDownCleansALeftoverReth() throws {
    try withLAN { namespace in
      for command in [
        [
          "link", "add", "reth0", "link", "lan0", "address", "02:00:00:00:00:42", "type", "macvlan",
        ],
        ["link", "set", "reth0", "up"], ["addr", "add", "192.0.2.1/24", "dev", "reth0"],
        ["addr", "add", "198.51.100.1/24", "dev", "reth0"],
        ["addr", "add", "2001:db8:1::1/64", "dev", "reth0", "nodad"],
      ] {
        #expect(sh(["ip", "-n", namespace] + command).status == 0)
      }
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"]))
        let controller = try RethController(specs: [spec])
        try controller.prepareDown("reth0")
        let netlink = try RouteNetlink()
        let reth = try #require(try netlink.link(named: "reth0"))
        #expect(!reth.isAdministrativelyUp)
        #expect(reth.mac == sharedMAC)
        #expect(try netlink.addresses(index: reth.index).isEmpty)
        try controller.prepareDown("reth0")  // Idempotent.
        #expect(try netlink.link(named: "reth0")?.index == reth.index)
        try controller.remove("reth0")
      }
    }
  }

  @Test func aLinkOfAnotherKindIsNeverTouched() throws {
    try withLAN { namespace in
      #expect(sh("ip", "-n", namespace, "link", "add", "reth0", "type", "bridge").status == 0)
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"]))
        let controller = try RethController(specs: [spec])
        #expect(throws: RethControllerError.notOurs("reth0")) {
          try controller.prepareDown("reth0")
        }
        #expect(try RouteNetlink().link(named: "reth0")?.kind == "bridge")
      }
    }
  }

  /// Member style: addresses on the member itself, announced with its own MAC, and taken off
  /// again without the member going down.
  @Test func memberStyleUsesTheMember() throws {
    try withLAN { namespace in
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(
            name: "reth0", member: "lan0", mac: nil,
            addresses: ["192.0.2.1/24", "2001:db8:1::1/64"], announcementCount: 1))
        let controller = try RethController(specs: [spec])
        let netlink = try RouteNetlink()
        let member = try #require(try netlink.link(named: "lan0"))
        let peer = try #require(try netlink.link(named: "lan1"))
        let receiver = try PacketSocket(interfaceIndex: peer.index, receiveProtocol: 0x0003)
        try controller.prepareDown("reth0")
        try controller.activate("reth0")
        #expect(try netlink.link(named: "reth0") == nil)
        let present = Set(try netlink.addresses(index: member.index).map(\.prefix.description))
        #expect(present.isSuperset(of: ["192.0.2.1/24", "2001:db8:1::1/64"]))
        let frames = receiver.collect(for: .milliseconds(200)) {
          isAnnouncement($0, from: member.mac ?? [])
        }
        #expect(frames.count == 2)
        try controller.deactivate("reth0")
        let after = Set(try netlink.addresses(index: member.index).map(\.prefix.description))
        #expect(after.isDisjoint(with: ["192.0.2.1/24", "2001:db8:1::1/64"]))
        #expect(try netlink.link(named: "lan0")?.isAdministrativelyUp == true)
      }
    }
  }
}

@Suite struct DataPlaneWatchdogParsingTests {
  private func delAddress(_ text: String, index: Int32, pid: UInt32) -> [UInt8] {
    let prefix = IPPrefix(text)!
    var body = RouteNetlinkCodec.ifaddr(
      family: prefix.family.addressFamily, prefixLength: prefix.prefixLength, flags: 0,
      index: index)
    body += RouteNetlinkCodec.attribute(1, prefix.bytes)
    var message = RouteNetlinkCodec.message(type: 21, flags: 0, sequence: 0, body: body)
    message.replaceSubrange(12..<16, with: RouteNetlinkCodec.integer(pid))
    return message
  }

  @Test func reportsOnlyWatchedAddressesOfOthers() {
    let watched = [
      "reth0": RethWatchList.Entry(index: 5, addresses: [IPPrefix("192.0.2.1/24")!])
    ]
    let bytes =
      delAddress("192.0.2.1/24", index: 5, pid: 0) + delAddress("192.0.2.1/24", index: 5, pid: 77)
      + delAddress("192.0.2.9/24", index: 5, pid: 0) + delAddress("192.0.2.1/24", index: 6, pid: 0)
    let changes = RethWatchdog.changes(in: bytes, watched: watched, ignoring: 77)
    #expect(changes.map(\.0) == ["reth0"])
    #expect(changes.map(\.1) == [.addressRemoved(IPPrefix("192.0.2.1/24")!)])
  }

  @Test func reportsLinkDownAndDeletion() {
    let watched = ["reth0": RethWatchList.Entry(index: 5, addresses: [])]
    let down = RouteNetlinkCodec.message(
      type: 16, flags: 0, sequence: 0,
      body: RouteNetlinkCodec.ifinfo(index: 5, flags: 0)
        + (try! RouteNetlinkCodec.nameAttribute("reth0")))
    let up = RouteNetlinkCodec.message(
      type: 16, flags: 0, sequence: 0,
      body: RouteNetlinkCodec.ifinfo(index: 5, flags: 1)
        + (try! RouteNetlinkCodec.nameAttribute("reth0")))
    let deleted = RouteNetlinkCodec.message(
      type: 17, flags: 0, sequence: 0, body: RouteNetlinkCodec.ifinfo(index: 5))
    let changes = RethWatchdog.changes(in: up + down + deleted, watched: watched, ignoring: 0)
    #expect(changes.map(\.1) == [.linkDown, .linkDeleted])
  }
}

/// Reths that a reload adds, changes and removes, and what a killed agent leaves behind for
/// `ccagentd --cleanup-reths`.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct DataPlaneReloadTests {
  private func temporaryRecord() -> String {
    "/tmp/ccdp-record-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  }

  /// A controller made with no reth takes one, then the same name on another member: the old
  /// macvlan and the old member's arp_ignore go, the new one is set up; `forget` drops it.
  @Test func adoptTakesNewAndChangedRethsAndLeavesNothingOfTheOld() throws {
    try withLAN { namespace in
      #expect(
        sh("ip", "-n", namespace, "link", "add", "lan2", "type", "veth", "peer", "lan3").status == 0
      )
      #expect(sh("ip", "-n", namespace, "link", "set", "lan2", "up").status == 0)
      try inNamespace(namespace) {
        let controller = try RethController(specs: [])
        #expect(throws: RethControllerError.unknownReth("reth0")) {
          try controller.prepareDown("reth0")
        }
        let first = try #require(
          RethSpec(name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"]))
        try controller.adopt(first)
        try controller.prepareDown("reth0")
        try controller.activate("reth0")
        let netlink = try RouteNetlink()
        let lan0 = try #require(try netlink.link(named: "lan0"))
        let lan2 = try #require(try netlink.link(named: "lan2"))
        var reth = try #require(try netlink.link(named: "reth0"))
        #expect(reth.parentIndex == lan0.index && reth.isAdministrativelyUp)
        #expect(try RethSysctls.read("/proc/sys/net/ipv4/conf/lan0/arp_ignore") == "1")
        try controller.deactivate("reth0")  // The core takes an active reth down first.

        let moved = try #require(
          RethSpec(name: "reth0", member: "lan2", mac: sharedMAC, addresses: ["192.0.2.9/24"]))
        try controller.adopt(moved)
        #expect(try RethSysctls.read("/proc/sys/net/ipv4/conf/lan0/arp_ignore") == "0")
        try controller.prepareDown("reth0")
        try controller.activate("reth0")
        reth = try #require(try netlink.link(named: "reth0"))
        #expect(reth.parentIndex == lan2.index)
        #expect(
          try netlink.addresses(index: reth.index).map(\.prefix.description) == ["192.0.2.9/24"])
        #expect(controller.watchList.snapshot()["reth0"]?.index == reth.index)

        try controller.remove("reth0")
        controller.forget("reth0")
        #expect(try netlink.link(named: "reth0") == nil)
        #expect(controller.counters("reth0") == nil && controller.allCounters.isEmpty)
        #expect(controller.watchList.snapshot().isEmpty)
        #expect(try RethSysctls.read("/proc/sys/net/ipv4/conf/lan2/arp_ignore") == "0")
      }
    }
  }

  /// An agent killed with its reth up leaves the link, the address and its sysctls; the next
  /// controller keeps the first one's original values, and the cleanup takes everything off
  /// and writes those values back.
  @Test func theCleanupTakesAKilledAgentsRethOffAndWritesItsSysctlsBack() throws {
    let record = temporaryRecord()
    defer { unlink(record) }
    try withLAN { namespace in
      #expect(
        sh("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv4.conf.lan0.arp_ignore=2")
          .status == 0)
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"]))
        do {
          let killed = try RethController(specs: [spec], sysctlRecord: record)
          try killed.prepareDown("reth0")
          try killed.activate("reth0")
        }  // Gone without a word: nothing restored.
        #expect(
          RethSysctls.load(record).contains {
            $0.path.hasSuffix("lan0/arp_ignore") && $0.value == "2"
          })
        do {
          // A restarted agent sees arp_ignore=1 but keeps 2 as the value to write back.
          let restarted = try RethController(specs: [spec], sysctlRecord: record)
          try restarted.prepareDown("reth0")
          try restarted.activate("reth0")
        }
        #expect(
          RethSysctls.load(record).contains {
            $0.path.hasSuffix("lan0/arp_ignore") && $0.value == "2"
          })
        let address = try #require(
          try? RethAddress.parse("192.0.2.1/24", family: .inet).get())
        let plan = RethPlan(
          name: "reth0", group: 1, members: ["lan0"], mac: sharedMAC, addresses: [address],
          gratuitousARPCount: 4)
        let outcome = try RethCleanup.run(plans: [plan], sysctlRecord: record)
        #expect(outcome.succeeded && outcome.cleaned == ["reth0"])
        #expect(outcome.sysctlsRestored > 0)
        #expect(try RouteNetlink().link(named: "reth0") == nil)
        #expect(try RethSysctls.read("/proc/sys/net/ipv4/conf/lan0/arp_ignore") == "2")
        #expect(access(record, F_OK) != 0)
        // Again: nothing left, still a success.
        let again = try RethCleanup.run(plans: [plan], sysctlRecord: record)
        #expect(again.succeeded && again.sysctlsRestored == 0)
      }
    }
  }
}

/// A withdrawal in two halves (`RethController.silence`, then the link down when due): the
/// old primary is silent before its heartbeat says it gave the RG up, without waiting for the
/// grace period a macvlan's link-down costs.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct DataPlaneWithdrawalTests {
  private static func fromReth(_ frame: [UInt8]) -> Bool {
    frame.count >= 12 && Array(frame[6..<12]) == sharedMAC
  }

  /// A netlink socket, and a capture of what reaches the LAN side (`lan1`).
  private static func lanCapture() throws -> (RouteNetlink, PacketSocket) {
    let netlink = try RouteNetlink()
    let peer = try #require(try netlink.link(named: "lan1"))
    return (netlink, try PacketSocket(interfaceIndex: peer.index, receiveProtocol: 0x0003))
  }

  @Test func silenceStopsEveryFrameAtOnceAndTheLinkGoesDownWhenDue() throws {
    try withLAN { namespace in
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(
            name: "reth0", member: "lan0", mac: sharedMAC,
            addresses: ["192.0.2.1/24", "2001:db8:1::1/64"], announcementCount: 1))
        let controller = try RethController(specs: [spec], linkDownDelay: .seconds(30))
        try controller.prepareDown("reth0")
        let (netlink, receiver) = try Self.lanCapture()
        try controller.activate("reth0")
        let reth = try #require(try netlink.link(named: "reth0"))
        let sender = try PacketSocket(interfaceIndex: reth.index)
        let garp = NeighbourAnnouncement.gratuitousARP(mac: sharedMAC, address: [192, 0, 2, 1])
        #expect(!receiver.collect(for: .milliseconds(100), Self.fromReth).isEmpty)

        try controller.silence("reth0")
        #expect(!controller.isActive("reth0") && controller.isSilenced("reth0"))
        // Still up, but empty, and nothing it sends (ours or the kernel's) reaches the LAN.
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == true)
        #expect(try netlink.addresses(index: reth.index).isEmpty)
        try? sender.send(garp)
        #expect(receiver.collect(for: .milliseconds(300), Self.fromReth).isEmpty)
        // Not due yet: nothing more happens.
        #expect(controller.finishDueDeactivations().isEmpty)
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == true)

        // An activation meanwhile lifts the blackhole: the first round goes out at once.
        try controller.activate("reth0")
        #expect(controller.isActive("reth0") && !controller.isSilenced("reth0"))
        #expect(!receiver.collect(for: .milliseconds(100), Self.fromReth).isEmpty)
        #expect(controller.finishDueDeactivations(now: .now.advanced(by: .seconds(60))).isEmpty)
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == true)

        // Silenced again and due: down, and the next activation sends again (qdisc removed).
        try controller.silence("reth0")
        #expect(controller.nextLinkDownDue != nil)
        #expect(controller.finishDueDeactivations(now: .now.advanced(by: .seconds(60))).isEmpty)
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == false)
        #expect(!controller.isSilenced("reth0") && controller.nextLinkDownDue == nil)
        try controller.activate("reth0")
        #expect(!receiver.collect(for: .milliseconds(100), Self.fromReth).isEmpty)
        try controller.remove("reth0")
      }
    }
  }

  /// A crashed agent's silenced reth keeps its blackhole; the start-up reset lifts it, or the
  /// next activation would announce nothing.
  @Test func prepareDownLiftsALeftoverBlackhole() throws {
    try withLAN { namespace in
      #expect(
        sh(
          "ip", "-n", namespace, "link", "add", "reth0", "link", "lan0", "address",
          RethMAC.text(sharedMAC), "type", "macvlan", "mode", "bridge"
        ).status == 0)
      #expect(sh("ip", "-n", namespace, "link", "set", "reth0", "up").status == 0)
      #expect(
        sh("tc", "-n", namespace, "qdisc", "replace", "dev", "reth0", "root", "blackhole").status
          == 0)
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"]))
        let controller = try RethController(specs: [spec])
        try controller.prepareDown("reth0")
        let receiver = try Self.lanCapture().1
        try controller.activate("reth0")
        #expect(!receiver.collect(for: .milliseconds(100), Self.fromReth).isEmpty)
        try controller.remove("reth0")
      }
    }
  }

  /// An activation queued before a later withdrawal of its reth (behind a commit, say) is
  /// dropped when its turn comes; one queued after the withdrawal is carried out, and a
  /// withdrawal takes the link down by itself once due.
  @Test func anActivationAskedBeforeAWithdrawalIsDropped() throws {
    try withLAN { namespace in
      try inNamespace(namespace) {
        let plan = RethPlan(
          name: "reth0", group: 1, members: ["lan0"], mac: sharedMAC,
          addresses: [try RethAddress.parse("192.0.2.1/24", family: .inet).get()],
          gratuitousARPCount: 1)
        let dataPlane = try RethDataPlane(
          logger: Logger(label: "test"), inputs: DriverInputs(), store: SnapshotStore())
        defer { dataPlane.shutdown() }
        dataPlane.execute(.reset([plan]), ticket: 0)
        let netlink = try RouteNetlink()
        let stale = dataPlane.ticket(for: "reth0")
        dataPlane.withdraw(plan)
        dataPlane.execute(.activate(plan), ticket: stale)
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == false)
        dataPlane.execute(.activate(plan), ticket: dataPlane.ticket(for: "reth0"))
        let reth = try #require(try netlink.link(named: "reth0"))
        #expect(reth.isAdministrativelyUp)
        #expect(try netlink.addresses(index: reth.index).count == 1)
        dataPlane.withdraw(plan)
        dataPlane.withdrawalsAnnounced()  // as the driver does after the heartbeat
        #expect(try netlink.addresses(index: reth.index).isEmpty)
        #expect(waitFor { (try? netlink.link(named: "reth0"))?.isAdministrativelyUp == false })
      }
    }
  }
}
