import Cluster
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

private func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> (8 * $0) & 0xFF) } }

@Suite struct DataPlaneNetlinkCodecTests {
  @Test func macvlanRequestBytes() throws {
    let mac: [UInt8] = [0x02, 0xCC, 0xA5, 0, 1, 0]
    let bytes = try RouteNetlinkCodec.newMacvlanRequest(
      name: "reth0", parent: 7, mac: mac, mode: .bridge, sequence: 0x0102_0304)
    // Written out from <linux/rtnetlink.h> and <linux/if_link.h> by hand.
    var body: [UInt8] = [0, 0] + le16(0) + le32(0) + le32(0) + le32(0)  // ifinfomsg
    body += le16(10) + le16(3) + Array("reth0".utf8) + [0] + [0, 0]  // IFLA_IFNAME, padded
    body += le16(8) + le16(5) + le32(7)  // IFLA_LINK
    body += le16(10) + le16(1) + mac + [0, 0]  // IFLA_ADDRESS
    // IFLA_LINKINFO { IFLA_INFO_KIND "macvlan" (7 bytes + 1 pad), IFLA_INFO_DATA { MODE 4 } }
    body += le16(4 + 12 + 12) + le16(18)
    body += le16(11) + le16(1) + Array("macvlan".utf8) + [0]
    body += le16(12) + le16(2) + le16(8) + le16(1) + le32(4)
    let flags: UInt16 = 0x1 | 0x4 | 0x400 | 0x200
    let expected =
      le32(UInt32(16 + body.count)) + le16(16) + le16(flags) + le32(0x0102_0304)
      + le32(0) + body
    #expect(bytes == expected)
  }

  @Test func addressRequestBytes() throws {
    let prefix = try #require(IPPrefix("2001:db8:1::1/64"))
    let bytes = RouteNetlinkCodec.addressRequest(
      add: true, prefix: prefix, index: 9, noDAD: true, sequence: 5)
    var body: [UInt8] = [UInt8(AF_INET6), 64, 0x02, 0] + le32(9)
    body += le16(20) + le16(2) + prefix.bytes + le16(20) + le16(1) + prefix.bytes
    body += le16(8) + le16(8) + le32(0x02)  // IFA_FLAGS: NODAD, no NOPREFIXROUTE
    let expected =
      le32(UInt32(16 + body.count)) + le16(20) + le16(0x605) + le32(5) + le32(0)
      + body
    #expect(bytes == expected)
    let delete = RouteNetlinkCodec.addressRequest(
      add: false, prefix: try #require(IPPrefix("192.0.2.1/24")), index: 3, noDAD: false,
      sequence: 6)
    #expect(delete[4] == 21 && delete[6] == 0x5)  // RTM_DELADDR, REQUEST|ACK
    #expect(delete[16...19] == [UInt8(AF_INET), 24, 0, 0])
  }

  @Test func setLinkMasksOnlyUp() {
    let down = RouteNetlinkCodec.setLinkRequest(index: 4, up: false, sequence: 1)
    #expect(Array(down[16...]) == [0, 0, 0, 0] + le32(4) + le32(0) + le32(1))
    let up = RouteNetlinkCodec.setLinkRequest(index: 4, up: true, sequence: 1)
    #expect(Array(up[16...]) == [0, 0, 0, 0] + le32(4) + le32(1) + le32(1))
  }

  @Test func namesAreChecked() {
    #expect(throws: RouteNetlinkError.self) {
      try RouteNetlinkCodec.getLinkRequest(name: "a-name-far-too-long", sequence: 1)
    }
    #expect(throws: RouteNetlinkError.self) {
      try RouteNetlinkCodec.getLinkRequest(name: "", sequence: 1)
    }
  }

  @Test func errorsDecodeToErrno() {
    let ack = RouteNetlinkCodec.message(type: 2, flags: 0, sequence: 3, body: le32(0) + [0] * 16)
    let failure = RouteNetlinkCodec.message(
      type: 2, flags: 0, sequence: 4, body: le32(UInt32(bitPattern: -EEXIST)) + [0] * 16)
    let both = ack + failure
    let messages = LinkMonitor.messages(in: both)
    #expect(messages.count == 2)
    #expect(RouteNetlinkCodec.errorCode(in: both, messages[0]) == 0)
    #expect(RouteNetlinkCodec.errorCode(in: both, messages[1]) == EEXIST)
    let short = RouteNetlinkCodec.message(type: 2, flags: 0, sequence: 5, body: [1])
    #expect(RouteNetlinkCodec.errorCode(in: short, LinkMonitor.messages(in: short)[0]) == EPROTO)
  }

  @Test func parsesAddressAndLinkReplies() throws {
    let v4 = try #require(IPPrefix("192.0.2.1/24"))
    var body: [UInt8] = [UInt8(AF_INET), 24, 0x80, 0] + le32(6)
    body += RouteNetlinkCodec.attribute(1, v4.bytes) + RouteNetlinkCodec.attribute(2, v4.bytes)
    body += RouteNetlinkCodec.attribute(8, le32(0x280))
    let message = RouteNetlinkCodec.message(type: 21, flags: 0, sequence: 0, body: body)
    let record = try #require(
      RouteNetlinkCodec.address(in: message, LinkMonitor.messages(in: message)[0]))
    #expect(record == AddressRecord(index: 6, prefix: v4, flags: 0x280, scope: 0, deleted: true))

    var link = RouteNetlinkCodec.ifinfo(index: 11, flags: 0x1003)
    link += try RouteNetlinkCodec.nameAttribute("reth1")
    link += RouteNetlinkCodec.attribute(1, [2, 0xCC, 0xA5, 0, 1, 1])
    link += RouteNetlinkCodec.attribute(5, le32(2))
    link += RouteNetlinkCodec.attribute(
      18 | 0x8000, RouteNetlinkCodec.attribute(1, Array("macvlan".utf8)))
    let linkMessage = RouteNetlinkCodec.message(type: 16, flags: 0, sequence: 0, body: link)
    let parsed = try #require(
      RouteNetlinkCodec.link(in: linkMessage, LinkMonitor.messages(in: linkMessage)[0]))
    #expect(
      parsed
        == LinkRecord(
          index: 11, name: "reth1", flags: 0x1003, mac: [2, 0xCC, 0xA5, 0, 1, 1], parentIndex: 2,
          kind: "macvlan"))
    #expect(parsed.isAdministrativelyUp)
  }

  @Test(arguments: ["192.0.2.1/24", "2001:db8::1/64", "fe80::1/64", "10.0.0.1"])
  func prefixesRoundTrip(text: String) throws {
    let prefix = try #require(IPPrefix(text))
    #expect(IPPrefix(prefix.description) == prefix)
    #expect(prefix.description.hasPrefix(text.split(separator: "/")[0]))
  }

  @Test(arguments: ["192.0.2.1/33", "2001:db8::1/129", "1.2.3/8", "a/1", "1.2.3.4/", "1.2.3.4/+4"])
  func badPrefixesAreRefused(text: String) {
    #expect(IPPrefix(text) == nil)
  }
}

private func * (byte: UInt8, count: Int) -> [UInt8] { [UInt8](repeating: byte, count: count) }
private func * (bytes: [UInt8], count: Int) -> [UInt8] {
  (0..<count).flatMap { _ in bytes }
}

@Suite struct DataPlaneMACTests {
  /// The core's layout (`Cluster.RethMAC`), checked over every cluster-id: locally
  /// administered unicast, and never the same MAC for two (cluster, reth) pairs.
  @Test func localIsLocallyAdministeredUnicastAndInjective() throws {
    var seen = Set<[UInt8]>()
    for cluster in 1...255 {
      for reth in [0, 1, 127] {
        let mac = try #require(RethMAC.address(style: .local, clusterID: cluster, index: reth))
        #expect(mac[0] & 0x02 == 0x02 && mac[0] & 0x01 == 0)
        #expect(seen.insert(mac).inserted)
      }
    }
    #expect(RethMAC.text([0, 0x10, 0xDB, 0xFF, 0xA2, 3]) == "00:10:db:ff:a2:03")
  }

  @Test func linkLocalIsModifiedEUI64() throws {
    let address = try #require(linkLocalAddress(mac: [0x02, 0xCC, 0xA5, 0, 1, 2]))
    #expect(address.description == "fe80::cc:a5ff:fe00:102/64")
    let juniper = try #require(linkLocalAddress(mac: [0, 0x10, 0xDB, 0xFF, 0x10, 0]))
    #expect(juniper.description == "fe80::210:dbff:feff:1000/64")
    #expect(address.isLinkLocal)
  }
}
