import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The witness's one UDP socket: requests in, answers back to each request's source.
/// Plain non-blocking `recvfrom`/`sendto`: an unreachable node must never close it.
final class WitnessSocket {
  let fd: Int32

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// A received datagram and where it came from.
  struct Datagram {
    var bytes: [UInt8]
    var source: sockaddr_storage
    var sourceLength: socklen_t
  }

  init(address: String, port: Int) throws(Failure) {
    guard let (address4or6, length, family) = SocketAddress.make(address, port: port) else {
      throw Failure(description: "bad listen address \(address)")
    }
    var storage = address4or6
    let fd = socket(
      family,
      Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
    let bound = withUnsafePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw Failure(description: "bind \(address):\(port): \(reason)")
    }
    self.fd = fd
  }

  deinit { close(fd) }

  /// Waits up to `milliseconds` (-1: forever) for a datagram to read.
  func wait(milliseconds: Int32) {
    var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
    _ = poll(&fds, 1, milliseconds)
  }

  /// The next datagram, cut at `limit` bytes, or nil when none is waiting.
  func receive(limit: Int) -> Datagram? {
    var buffer = [UInt8](repeating: 0, count: limit)
    var source = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let count = buffer.withUnsafeMutableBytes { raw in
      withUnsafeMutablePointer(to: &source) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length)
        }
      }
    }
    guard count >= 0 else { return nil }
    return Datagram(bytes: Array(buffer[..<count]), source: source, sourceLength: length)
  }

  func send(_ bytes: [UInt8], to datagram: Datagram) {
    var address = datagram.source
    _ = bytes.withUnsafeBytes { buffer in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(
            fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, datagram.sourceLength)
        }
      }
    }
  }

  private static func cString(_ text: [CChar]) -> String {
    String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `192.0.2.1:40000` or `[2001:db8::1]:40000`, for the log.
  static func text(_ datagram: Datagram) -> String {
    var storage = datagram.source
    let family = Int32(storage.ss_family)
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    return withUnsafeBytes(of: &storage) { raw -> String in
      switch family {
      case AF_INET:
        var v4 = raw.load(as: sockaddr_in.self)
        inet_ntop(AF_INET, &v4.sin_addr, &text, socklen_t(text.count))
        return cString(text) + ":\(UInt16(bigEndian: v4.sin_port))"
      case AF_INET6:
        var v6 = raw.load(as: sockaddr_in6.self)
        inet_ntop(AF_INET6, &v6.sin6_addr, &text, socklen_t(text.count))
        return "[" + cString(text) + "]:\(UInt16(bigEndian: v6.sin6_port))"
      default:
        return "unknown"
      }
    }
  }
}
