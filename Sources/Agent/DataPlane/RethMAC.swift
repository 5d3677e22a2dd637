/// How a reth's shared MAC is chosen (`set chassis cluster reth-mac local|juniper|member`).
enum RethMACStyle: String, Sendable, CaseIterable {
  /// Locally administered, from cluster-id and reth index: `02:cc:a5:00:CC:NN`.
  case local
  /// SRX's own `00:10:db:ff:LH:NN` (Juniper's OUI: opt-in).
  case juniper
  /// No shared MAC: the member's own MAC, addresses on the member.
  case member
}

/// The shared MAC of reth `index` in cluster `clusterID`, or nil for `member` style (and for
/// numbers out of range: cluster-id 1...255, reth index 0...255).
///
/// `local` layout: `02:cc:a5:00:CC:NN` — byte 0 is 0x02 (locally administered, unicast: bit 1
/// set, bit 0 clear), bytes 1-2 a fixed tag `cc:a5` ("ccagent"), byte 3 zero, byte 4 the
/// cluster-id, byte 5 the reth index. The map (cluster-id, index) → MAC is injective, so two
/// clusters with different ids on one LAN can never share a reth MAC, and both nodes of one
/// cluster compute the same MAC. (A hash would make collisions merely unlikely.)
///
/// `juniper` layout: `00:10:db:ff:LH:NN` as Junos derives it. We read "LH" as one byte whose
/// *high* nibble is the cluster-id's *low* nibble (L) and whose low nibble is the cluster-id's
/// high nibble (H): cluster-id 1 gives `00:10:db:ff:10:NN`, the MAC SRX clusters with id 1 are
/// known to use; cluster-id 0x2a gives `…:a2:NN`. NN is the reth index (reth0 → 00).
func rethMAC(style: RethMACStyle, clusterID: Int, rethIndex: Int) -> [UInt8]? {
  guard (1...255).contains(clusterID), (0...255).contains(rethIndex) else { return nil }
  let id = UInt8(clusterID)
  let index = UInt8(rethIndex)
  switch style {
  case .local:
    return [0x02, 0xCC, 0xA5, 0x00, id, index]
  case .juniper:
    return [0x00, 0x10, 0xDB, 0xFF, (id & 0x0F) << 4 | id >> 4, index]
  case .member:
    return nil
  }
}

/// "aa:bb:cc:dd:ee:ff".
func macText(_ mac: [UInt8]) -> String {
  mac.map { byte in
    let text = String(byte, radix: 16)
    return text.count == 1 ? "0" + text : text
  }.joined(separator: ":")
}

/// The IPv6 link-local address derived from a MAC by modified EUI-64 (RFC 4291 appendix A):
/// fe80::/64, the MAC split by ff:fe and its universal/local bit flipped. Both nodes derive the
/// same address from the shared MAC, so hosts' neighbour and router entries for it stay valid
/// across a failover.
func linkLocalAddress(mac: [UInt8]) -> IPPrefix? {
  guard mac.count == 6 else { return nil }
  let bytes: [UInt8] =
    [
      0xFE, 0x80, 0, 0, 0, 0, 0, 0, mac[0] ^ 0x02, mac[1], mac[2], 0xFF, 0xFE, mac[3], mac[4],
      mac[5],
    ]
  return IPPrefix(family: .inet6, bytes: bytes, prefixLength: 64)
}
