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
