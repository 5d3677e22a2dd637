import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Sends heartbeats with plain non-blocking `sendto` on its own socket. NIO's datagram channel
/// treats ENETUNREACH and most errors as fatal and closes itself, which is exactly what happens
/// when the control link is cut; an HA agent must keep sending into a dead link and carry on
/// when it heals. Sending from a separate socket also keeps ICMP errors away from the receiver.
final class UDPSender: Sendable {
  /// Also read by the witness client, which receives its answers on the same socket.
  let fd: Int32
  private let peer: sockaddr_storage
  private let peerLength: socklen_t

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  init(localAddress: String, peerAddress: String, peerPort: Int) throws(Failure) {
    guard let (peer, length, family) = SocketAddress.make(peerAddress, port: peerPort),
      let (local, localLength, _) = SocketAddress.make(localAddress, port: 0)
    else {
      throw Failure(description: "bad address \(peerAddress) or \(localAddress)")
    }
    let fd = socket(
      family,
      Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
    var localCopy = local
    // Bound to the link's own address so datagrams leave with it as their source.
    let bound = withUnsafePointer(to: &localCopy) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, localLength) }
    }
    guard bound == 0 else {
      let reason = String(cString: strerror(errno))
      Glibc.close(fd)
      throw Failure(description: "bind \(localAddress): \(reason)")
    }
    self.fd = fd
    self.peer = peer
    self.peerLength = length
  }

  /// Returns false when the kernel refused the datagram (link down, no route, buffer full).
  @discardableResult
  func send(_ bytes: [UInt8]) -> Bool {
    var address = peer
    let sent = bytes.withUnsafeBytes { buffer in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, peerLength)
        }
      }
    }
    return sent == bytes.count
  }

  func close() {
    Glibc.close(fd)
  }
}
