#if canImport(Glibc)
  import Glibc
#endif

/// A numeric IPv4 or IPv6 address and a port as the socket calls take them.
public enum SocketAddress {
  /// The address, its length and its family (AF_INET or AF_INET6), or nil for anything that
  /// is not a numeric address.
  public static func make(_ text: String, port: Int) -> (sockaddr_storage, socklen_t, Int32)? {
    var storage = sockaddr_storage()
    var v4 = sockaddr_in()
    if inet_pton(AF_INET, text, &v4.sin_addr) == 1 {
      v4.sin_family = sa_family_t(AF_INET)
      v4.sin_port = in_port_t(UInt16(port).bigEndian)
      withUnsafeMutableBytes(of: &storage) { raw in
        withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) }
      }
      return (storage, socklen_t(MemoryLayout<sockaddr_in>.size), AF_INET)
    }
    var v6 = sockaddr_in6()
    if inet_pton(AF_INET6, text, &v6.sin6_addr) == 1 {
      v6.sin6_family = sa_family_t(AF_INET6)
      v6.sin6_port = in_port_t(UInt16(port).bigEndian)
      withUnsafeMutableBytes(of: &storage) { raw in
        withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) }
      }
      return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size), AF_INET6)
    }
    return nil
  }

  /// Connects `fd` (a `SOCK_STREAM` UNIX socket) to the socket at `path`: 0, or the errno
  /// (`ENAMETOOLONG` for a path that does not fit `sun_path`).
  public static func connect(_ fd: Int32, unixPath path: String) -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    return connected == 0 ? 0 : errno
  }
}
