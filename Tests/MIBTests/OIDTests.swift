import Cluster
import MIB
import Testing

@Suite("OID, SNMPValue, InetAddress text")
struct OIDTests {
  @Test func parsesAndPrintsDottedForm() {
    #expect(OID("1.3.6.1.4.1.8072")?.components == [1, 3, 6, 1, 4, 1, 8072])
    #expect(OID(".1.3.6")?.components == [1, 3, 6])
    #expect(OID("0")?.components == [0])
    #expect(OID("1.3.4294967295")?.components == [1, 3, 4_294_967_295])
    #expect(OID("1.3.6.1").map(String.init(describing:)) == "1.3.6.1")
    for bad in ["", ".", "1..3", "1.3.", "1.-3", "1.3a", "1.4294967296", " 1.3", "1.+3"] {
      #expect(OID(bad) == nil, "\(bad)")
    }
  }

  @Test func ordersLexicographicallyWithPrefixesFirst() {
    let sorted: [OID] = [
      [1], [1, 3], [1, 3, 0], [1, 3, 6], [1, 3, 6, 1], [1, 3, 6, 2], [1, 3, 7], [1, 3, 10],
      [1, 3, 4_294_967_295], [1, 4], [2],
    ]
    for (i, a) in sorted.enumerated() {
      for (j, b) in sorted.enumerated() {
        #expect((a < b) == (i < j), "\(a) < \(b)")
        #expect((a == b) == (i == j))
      }
    }
    #expect(sorted.shuffled().sorted() == sorted)
    // Numeric, not textual: 10 after 9, 100 after 20.
    #expect(OID([1, 9]) < OID([1, 10]))
    #expect(OID([1, 20]) < OID([1, 100]))
  }

  @Test func prefixTests() {
    let root: OID = [1, 3, 6, 1]
    #expect(OID([1, 3, 6, 1, 4]).hasPrefix(root))
    #expect(root.hasPrefix(root))
    #expect(root.isPrefix(of: [1, 3, 6, 1, 0]))
    #expect(!OID([1, 3, 6]).hasPrefix(root))
    #expect(!OID([1, 3, 6, 2, 1]).hasPrefix(root))
    #expect(OID([1, 3]).hasPrefix([]))
    #expect(root.appending(2, 5) == [1, 3, 6, 1, 2, 5])
    #expect(root + [7] == [1, 3, 6, 1, 7])
  }

  @Test func typeNamesMatchSnmpwalk() {
    #expect(SNMPValue.integer(-1).typeName == "INTEGER")
    #expect(SNMPValue.unsigned(3).typeName == "Gauge32")
    #expect(SNMPValue.counter32(3).typeName == "Counter32")
    #expect(SNMPValue.counter64(3).typeName == "Counter64")
    #expect(SNMPValue.timeTicks(3).typeName == "Timeticks")
    #expect(SNMPValue.octetString(Array("eth1".utf8)).typeName == "STRING")
    #expect(SNMPValue.octetString([]).typeName == "STRING")
    #expect(SNMPValue.octetString([192, 0, 2, 1]).typeName == "Hex-STRING")
    #expect(SNMPValue.octetString([10, 0, 0, 1]).typeName == "Hex-STRING")
    #expect(SNMPValue.objectIdentifier([1, 3]).typeName == "OID")
    #expect(SNMPValue.bits([0x80]).typeName == "BITS")
    #expect(SNMPValue.bits([0x80]).berTag == 0x04)
    #expect(SNMPValue.unsigned(1).berTag == 0x42)
  }

  @Test func bitsAreMostSignificantBitFirst() {
    #expect(SNMPValue.bits(positions: [0]) == .bits([0x80]))
    #expect(SNMPValue.bits(positions: [0, 4]) == .bits([0x88]))
    #expect(SNMPValue.bits(positions: [7, 8], octets: 2) == .bits([0x01, 0x80]))
    #expect(SNMPValue.bits([0x48]).bitPositions == [1, 4])
  }

  @Test func displayStringIsCutAtACharacterBoundary() {
    let a254 = String(repeating: "a", count: 254)
    // é is 2 octets: 256 in all, and the cut may not leave half of it.
    #expect(SNMPValue.displayString(a254 + "é") == .octetString(Array(a254.utf8)))
    #expect(SNMPValue.displayString("rg1") == .octetString(Array("rg1".utf8)))
  }

  @Test func parsesIPv4() {
    #expect(InetAddressText.parse("192.0.2.1").type == .ipv4)
    #expect(InetAddressText.parse("192.0.2.1").octets == [192, 0, 2, 1])
    #expect(InetAddressText.parse("0.0.0.0").octets == [0, 0, 0, 0])
    #expect(InetAddressText.parse("255.255.255.255").octets == [255, 255, 255, 255])
    for bad in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.", "a.b.c.d", "1.2.3.4 "] {
      #expect(InetAddressText.parse(bad).type == .unknown, "\(bad)")
      #expect(InetAddressText.parse(bad).octets.isEmpty)
    }
  }

  @Test func parsesIPv6() {
    let v6 = { (text: String) in InetAddressText.ipv6(Substring(text)) }
    #expect(v6("::") == [UInt8](repeating: 0, count: 16))
    #expect(v6("::1") == [UInt8](repeating: 0, count: 15) + [1])
    #expect(v6("2001:db8::1") == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
    #expect(v6("fe80::") == [0xfe, 0x80] + [UInt8](repeating: 0, count: 14))
    #expect(
      v6("1:2:3:4:5:6:7:8") == [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8])
    #expect(
      v6("::ffff:192.0.2.1") == [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 192, 0, 2, 1])
    #expect(v6("1:2:3:4:5:6:1.2.3.4") == [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4])
    #expect(v6("ABCD::Ef") == [0xab, 0xcd] + [UInt8](repeating: 0, count: 12) + [0, 0xef])
    #expect(InetAddressText.parse("2001:db8::1").type == .ipv6)
    for bad in [
      ":", ":::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "g::",
      "1:2:3:4:5:6:7:8::", "::1.2.3.4:5", "1.2.3.4::", "fe80::1%eth0", "1:",
    ] {
      #expect(v6(bad) == nil, "\(bad)")
    }
  }
}
