import CLinux

#if canImport(Glibc)
  import Glibc
#endif

/// The frames a new primary sends so that the LAN's switches move the shared MAC to its port and
/// hosts (re)learn the address: gratuitous ARP for IPv4, unsolicited neighbour advertisement
/// for IPv6. Pure: whole Ethernet frames, ready for an AF_PACKET/SOCK_RAW socket.
enum NeighbourAnnouncement {
  static let etherTypeARP: UInt16 = 0x0806
  static let etherTypeIPv6: UInt16 = 0x86DD
  /// ff02::1, all nodes.
  static let allNodes: [UInt8] = [0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [1]
  /// Ethernet minimum without FCS. A real NIC pads short frames itself, a veth or macvlan does
  /// not, and some switches drop runts: we pad.
  static let minimumFrame = 60

  /// A gratuitous ARP: broadcast, an ARP *request* (op 1) whose sender and target IP are both
  /// `address` and whose sender MAC is `mac` (RFC 5227 §3's ARP announcement). A request rather
  /// than a reply, because every host processes requests and Linux hosts update an existing
  /// entry from one (`arp_accept` governs only new entries).
  static func gratuitousARP(mac: [UInt8], address: [UInt8]) -> [UInt8] {
    precondition(mac.count == 6 && address.count == 4)
    var frame = [UInt8](repeating: 0xFF, count: 6) + mac + be16(etherTypeARP)
    frame += be16(1) + be16(0x0800) + [6, 4] + be16(1)  // Ethernet, IPv4, request
    frame += mac + address + [UInt8](repeating: 0, count: 6) + address
    return padded(frame)
  }

  /// An unsolicited neighbour advertisement (RFC 4861 §7.2.6) to all nodes: IPv6 from `source`
  /// (the interface's link-local: RFC 4861 §7.1.2 wants hop limit 255 and hosts drop an NA from
  /// elsewhere), ICMPv6 136 with Override set (replace cached MACs), Router when the node
  /// forwards (else hosts using it as a router would drop it from their default-router list),
  /// Solicited clear, and the target link-layer address option carrying `mac`.
  static func unsolicitedNA(mac: [UInt8], source: [UInt8], target: [UInt8], router: Bool)
    -> [UInt8]
  {
    precondition(mac.count == 6 && source.count == 16 && target.count == 16)
    let flags: UInt8 = 0x20 | (router ? 0x80 : 0)  // O, and R when forwarding
    var icmp: [UInt8] = [136, 0, 0, 0, flags, 0, 0, 0] + target
    icmp += [2, 1] + mac  // option 2: target link-layer address, length 1 (8 bytes)
    let sum = icmpv6Checksum(source: source, destination: allNodes, message: icmp)
    icmp[2] = UInt8(sum >> 8)
    icmp[3] = UInt8(sum & 0xFF)
    var frame: [UInt8] = [0x33, 0x33, 0, 0, 0, 1] + mac + be16(etherTypeIPv6)
    frame += [0x60, 0, 0, 0] + be16(UInt16(icmp.count)) + [58, 255]  // version 6, ICMPv6, hops
    frame += source + allNodes + icmp
    return padded(frame)
  }

  /// The ICMPv6 checksum (RFC 8200 §8.1): over the pseudo-header (source, destination,
  /// upper-layer length, next header 58) and the message with its checksum field as sent. A
  /// message carrying a correct checksum sums to 0.
  static func icmpv6Checksum(source: [UInt8], destination: [UInt8], message: [UInt8]) -> UInt16 {
    let length = UInt32(message.count)
    let pseudo =
      source + destination
      + [
        UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
        UInt8(length & 0xFF),
      ]
      + [0, 0, 0, 58]
    return ICMPEchoSocket.internetChecksum(pseudo + message)
  }

  private static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

  private static func padded(_ frame: [UInt8]) -> [UInt8] {
    frame.count >= minimumFrame
      ? frame : frame + [UInt8](repeating: 0, count: minimumFrame - frame.count)
  }
}

enum PacketSocketError: Error, Equatable {
  case system(call: String, errno: Int32)
}

/// An AF_PACKET/SOCK_RAW socket bound to one interface: it sends whole Ethernet frames.
///
/// The kernel refuses to send on an interface that is not up (ENETDOWN), so a down reth can
/// never emit the shared MAC through this socket.
///
/// Not Sendable on purpose: one owner. It keeps the network namespace it was created in.
final class PacketSocket {
  private(set) var fd: Int32
  let interfaceIndex: Int32

  /// - Parameter receiveProtocol: an EtherType (host order) to receive, e.g. 0x0003 (ETH_P_ALL)
  ///   for a capture; 0 (the default) receives nothing, which a sender wants: no copy of every
  ///   frame of the host is queued to a socket nobody reads.
  init(interfaceIndex: Int32, receiveProtocol: UInt16 = 0) throws {
    let proto = Int32(receiveProtocol.bigEndian)
    let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
    guard fd >= 0 else { throw PacketSocketError.system(call: "socket", errno: errno) }
    var address = Self.linkAddress(index: interfaceIndex, protocol: receiveProtocol)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
      }
    }
    guard bound == 0 else {
      let error = errno
      Glibc.close(fd)
      throw PacketSocketError.system(call: "bind", errno: error)
    }
    self.fd = fd
    self.interfaceIndex = interfaceIndex
  }

  deinit { close() }

  func close() {
    guard fd >= 0 else { return }
    Glibc.close(fd)
    fd = -1
  }

  /// Sends one frame (its EtherType read from bytes 12-13, so the kernel tags the buffer with
  /// the right protocol for qdiscs and taps).
  func send(_ frame: [UInt8]) throws {
    guard fd >= 0 else { throw PacketSocketError.system(call: "sendto", errno: EBADF) }
    guard frame.count >= 14 else { throw PacketSocketError.system(call: "sendto", errno: EINVAL) }
    let etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
    var address = Self.linkAddress(index: interfaceIndex, protocol: etherType)
    while true {
      let sent = frame.withUnsafeBytes { raw in
        withUnsafePointer(to: &address) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
          }
        }
      }
      if sent == frame.count { return }
      if sent < 0 && errno == EINTR { continue }
      throw PacketSocketError.system(call: "sendto", errno: sent < 0 ? errno : EMSGSIZE)
    }
  }

  private static func linkAddress(index: Int32, protocol etherType: UInt16) -> sockaddr_ll {
    var address = sockaddr_ll()
    address.sll_family = UInt16(AF_PACKET)
    address.sll_protocol = etherType.bigEndian
    address.sll_ifindex = index
    return address
  }
}
