import Cluster
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

/// The handover over the fabric (`RethController+Handover.swift`), on real links: `lan0` the
/// member (`lan1` the LAN side), `fab0` this node's fabric link (`fab1` the peer's side).
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct DataPlaneHandoverTests {
  static let other: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x99]

  /// An Ethernet frame of an unassigned EtherType carrying `marker`.
  static func frame(to destination: [UInt8], from source: [UInt8], marker: UInt8) -> [UInt8] {
    destination + source + [0x88, 0xB5, marker] + [UInt8](repeating: 0, count: 45)
  }

  /// An ARP request for 192.0.2.1 sent to the reth MAC (as a host with a cached entry sends it).
  static var arpRequest: [UInt8] {
    sharedMAC + other + [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1] + other + [192, 0, 2, 50]
      + [0, 0, 0, 0, 0, 0] + [192, 0, 2, 1] + [UInt8](repeating: 0, count: 18)
  }

  /// An ARP reply from 192.0.2.50 to the reth MAC.
  static var arpReply: [UInt8] {
    sharedMAC + other + [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2] + other + [192, 0, 2, 50]
      + sharedMAC + [192, 0, 2, 1] + [UInt8](repeating: 0, count: 18)
  }

  static func isARPReply(_ frame: [UInt8]) -> Bool {
    frame.count >= 42 && Array(frame[6..<12]) == sharedMAC && frame[12] == 0x08
      && frame[13] == 0x06 && frame[21] == 2
  }

  static func same(_ sent: [UInt8]) -> ([UInt8]) -> Bool {
    { Array($0.prefix(sent.count)) == sent }
  }

  static func fromReth(_ frame: [UInt8]) -> Bool {
    frame.count >= 12 && Array(frame[6..<12]) == sharedMAC
  }

  @Test func aWithdrawnRethSendsThroughThePeerAndTheInactiveSideRelays() throws {
    try withLAN { namespace in
      for command in [
        ["link", "add", "fab0", "type", "veth", "peer", "name", "fab1"],
        ["link", "set", "fab0", "up"], ["link", "set", "fab1", "up"],
      ] {
        #expect(sh(["ip", "-n", namespace] + command).status == 0)
      }
      sh("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.fab1.disable_ipv6=1")
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(
            name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"],
            announcementCount: 1, fabricLink: "fab0"))
        let controller = try RethController(specs: [spec], linkDownDelay: .seconds(30))
        try controller.prepareDown("reth0")
        #expect(controller.handoverProblems["reth0"] == nil)
        let netlink = try RouteNetlink()
        let lan = try PacketSocket(
          interfaceIndex: try #require(try netlink.link(named: "lan1")).index,
          receiveProtocol: 0x0003)
        let fabric = try PacketSocket(
          interfaceIndex: try #require(try netlink.link(named: "fab1")).index,
          receiveProtocol: 0x0003)
        let toReth = Self.frame(to: sharedMAC, from: Self.other, marker: 1)
        let fromPeer = Self.frame(to: Self.other, from: sharedMAC, marker: 2)

        // Not active here: a frame for the reth MAC reaching the member goes to the peer, and
        // one the peer hands over (from the reth MAC, over the fabric) leaves by the member.
        try lan.send(toReth)
        #expect(!fabric.collect(for: .milliseconds(200), Self.same(toReth)).isEmpty)
        try fabric.send(fromPeer)
        #expect(!lan.collect(for: .milliseconds(200), Self.same(fromPeer)).isEmpty)
        // But an ARP reply to the reth MAC is never relayed: this node asked for it.
        try lan.send(Self.arpReply)
        #expect(fabric.collect(for: .milliseconds(200), Self.same(Self.arpReply)).isEmpty)

        // Active: the reth takes its own frames, and sends on its member.
        try controller.activate("reth0")
        try lan.send(toReth)
        #expect(fabric.collect(for: .milliseconds(200), Self.same(toReth)).isEmpty)
        let reth = try #require(try netlink.link(named: "reth0"))
        let sender = try PacketSocket(interfaceIndex: reth.index)
        let garp = NeighbourAnnouncement.gratuitousARP(mac: sharedMAC, address: [192, 0, 2, 1])
        try sender.send(garp)
        #expect(!lan.collect(for: .milliseconds(200), Self.fromReth).isEmpty)

        // Withdrawn: up, its address kept but deprecated, and all it sends leaves by the
        // fabric, none of it by its own member.
        try controller.silence("reth0")
        #expect(controller.isSilenced("reth0") && !controller.isActive("reth0"))
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == true)
        // Deprecated after the heartbeat (the data-plane thread's next round), not before.
        let undeprecated = try netlink.addresses(index: reth.index).filter {
          $0.prefix == IPPrefix("192.0.2.1/24")
        }
        #expect(undeprecated.count == 1 && undeprecated.allSatisfy { $0.flags & 0x20 == 0 })
        controller.deprecateHandingOver()
        let kept = try netlink.addresses(index: reth.index).filter {
          $0.prefix == IPPrefix("192.0.2.1/24")
        }
        #expect(kept.count == 1 && kept.allSatisfy { $0.flags & 0x20 != 0 })
        try sender.send(garp)
        #expect(!fabric.collect(for: .milliseconds(200), Self.same(garp)).isEmpty)
        #expect(lan.collect(for: .milliseconds(200), Self.fromReth).isEmpty)
        // What the peer relays to it still reaches it: an ARP request over the fabric is
        // answered, back over the fabric.
        try fabric.send(Self.arpRequest)
        #expect(!fabric.collect(for: .milliseconds(300), Self.isARPReply).isEmpty)
        #expect(lan.collect(for: .milliseconds(100), Self.fromReth).isEmpty)

        // The grace period over: down, empty, and relaying to the peer again.
        #expect(controller.finishDueDeactivations(now: .now.advanced(by: .seconds(60))).isEmpty)
        #expect(try netlink.link(named: "reth0")?.isAdministrativelyUp == false)
        #expect(try netlink.addresses(index: reth.index).isEmpty)
        try lan.send(toReth)
        #expect(!fabric.collect(for: .milliseconds(200), Self.same(toReth)).isEmpty)

        // Active again: the address is an owner's (not deprecated), GARPs go on the member.
        try controller.activate("reth0")
        let again = try netlink.addresses(index: reth.index).filter {
          $0.prefix == IPPrefix("192.0.2.1/24")
        }
        #expect(again.count == 1 && again.allSatisfy { $0.flags & 0x20 == 0 })
        #expect(!lan.collect(for: .milliseconds(200), Self.fromReth).isEmpty)

        // An activation during the grace period ends it: the address is an owner's again,
        // whether it had been deprecated yet or not.
        try controller.silence("reth0")
        controller.deprecateHandingOver()
        try controller.activate("reth0")
        let lifted = try netlink.addresses(index: reth.index).filter {
          $0.prefix == IPPrefix("192.0.2.1/24")
        }
        #expect(lifted.count == 1 && lifted.allSatisfy { $0.flags & 0x20 == 0 })
        try sender.send(garp)
        #expect(!lan.collect(for: .milliseconds(200), Self.same(garp)).isEmpty)
        try controller.silence("reth0")
        try controller.activate("reth0")
        controller.deprecateHandingOver()  // nothing left to do: the activation came first
        let early = try netlink.addresses(index: reth.index).filter {
          $0.prefix == IPPrefix("192.0.2.1/24")
        }
        #expect(early.count == 1 && early.allSatisfy { $0.flags & 0x20 == 0 })

        // Removed: none of our filters is left on the member or the fabric.
        try controller.remove("reth0")
        for link in ["lan0", "fab0"] {
          let shown = sh("tc", "filter", "show", "dev", link, "ingress")
          #expect(shown.status == 0 && !shown.output.contains("u32"), "\(link): \(shown.output)")
        }
      }
    }
  }

  /// Without a fabric link the withdrawal is the blackhole of before, and says why.
  @Test func noFabricLinkMeansABlackholeAndAReason() throws {
    try withLAN { namespace in
      try inNamespace(namespace) {
        let spec = try #require(
          RethSpec(
            name: "reth0", member: "lan0", mac: sharedMAC, addresses: ["192.0.2.1/24"],
            announcementCount: 1, fabricAddress: "10.77.1.1"))
        let controller = try RethController(specs: [spec], linkDownDelay: .seconds(30))
        try controller.prepareDown("reth0")
        #expect(controller.handoverProblems["reth0"]?.contains("no fabric link") == true)
        try controller.activate("reth0")
        try controller.silence("reth0")
        let netlink = try RouteNetlink()
        let reth = try #require(try netlink.link(named: "reth0"))
        #expect(try netlink.addresses(index: reth.index).isEmpty)
        try controller.remove("reth0")
      }
    }
  }
}
