import Testing

@testable import Agent

/// The tc filter messages by hand (`RouteNetlink+Filter.swift`): the keys as `tc filter show`
/// prints them for the same `match` lines, and the layout of the request.
@Suite struct RouteNetlinkFilterTests {
  let mac: [UInt8] = [0x02, 0xCC, 0xA5, 0x00, 0x07, 0x01]

  @Test func macKeysAreTheWordsTcWouldSet() {
    // tc: match u16 0x02cc 0xffff at -14 match u32 0xa5000701 0xffffffff at -12
    #expect(
      RouteNetlinkCodec.FrameMatch.destination(mac).keys.map { [$0.mask, $0.value] }
        == [[0x0000_FFFF, 0x0000_02CC], [0xFFFF_FFFF, 0xA500_0701]])
    #expect(RouteNetlinkCodec.FrameMatch.destination(mac).keys.map(\.offset) == [-16, -12])
    // tc: match u32 0x02cca500 0xffffffff at -8 match u16 0x0701 0xffff at -4
    #expect(
      RouteNetlinkCodec.FrameMatch.source(mac).keys.map {
        [$0.mask, $0.value, UInt32(bitPattern: $0.offset)]
      }
        == [
          [0xFFFF_FFFF, 0x02CC_A500, UInt32(bitPattern: -8)],
          [0xFFFF_0000, 0x0701_0000, UInt32(bitPattern: -4)],
        ])
    // The EtherType sits in the low half of the word at -4.
    #expect(RouteNetlinkCodec.FrameMatch.arpTo(mac).keys.last! == (0x0000_FFFF, 0x0806, -4))
    #expect(RouteNetlinkCodec.FrameMatch.all.keys.count == 1)
    #expect(RouteNetlinkCodec.FrameMatch.all.keys[0].mask == 0)
  }

  @Test func aRedirectRequestCarriesItsSelectorAndAction() {
    let request = RouteNetlinkCodec.addFilterRequest(
      index: 7, hook: .ingress, preference: 0xC001, match: .destination(mac),
      verdict: .redirect(to: 9), sequence: 1)
    #expect(RouteNetlinkCodec.load(UInt32.self, request, at: 0) == UInt32(request.count))
    #expect(RouteNetlinkCodec.load(UInt16.self, request, at: 4) == 44)  // RTM_NEWTFILTER
    // struct tcmsg after the 16-byte header: ifindex, handle, parent, info.
    #expect(RouteNetlinkCodec.load(Int32.self, request, at: 20) == 7)
    #expect(RouteNetlinkCodec.load(UInt32.self, request, at: 28) == 0xFFFF_FFF2)
    #expect(RouteNetlinkCodec.load(UInt32.self, request, at: 32) == 0xC001_0300)
    let text = String(decoding: request, as: UTF8.self)
    #expect(text.contains("u32") && text.contains("mirred"))
    // tc_mirred ends the request: TC_ACT_STOLEN, refcnt, bindcnt, TCA_EGRESS_REDIR, the
    // target's index.
    #expect(
      Array(request.suffix(20)) == [4, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [
        1, 0, 0, 0, 9, 0, 0, 0,
      ])
  }

  @Test func aPassFilterHasAClassAndNoAction() {
    let request = RouteNetlinkCodec.addFilterRequest(
      index: 3, hook: .egress, preference: 1, match: .destination(mac), verdict: .pass,
      sequence: 1)
    let text = String(decoding: request, as: UTF8.self)
    #expect(!text.contains("mirred"))
    #expect(RouteNetlinkCodec.load(UInt32.self, request, at: 28) == 0xFFFF_FFF3)
  }
}
