#if canImport(Glibc)
  import Glibc
#endif

/// An IPv4 or IPv6 address, in network byte order: what the ping thread pings and what an echo
/// reply comes from. Equal addresses compare equal whatever their spelling in the
/// configuration (`2001:DB8::1` and `2001:db8:0::1`).
enum ICMPAddress: Hashable, Sendable, CustomStringConvertible {
  case inet(in_addr_t)
  /// The 16 bytes of an `in6_addr`.
  case inet6([UInt8])

  enum Family: String, Hashable, Sendable {
    case inet
    case inet6

    var domain: Int32 { self == .inet ? AF_INET : AF_INET6 }
    /// ICMP_ECHO (8) or ICMP6_ECHO_REQUEST (128).
    var echoRequestType: UInt8 { self == .inet ? 8 : 128 }
    /// ICMP_ECHOREPLY (0) or ICMP6_ECHO_REPLY (129).
    var echoReplyType: UInt8 { self == .inet ? 0 : 129 }
  }

  /// Either family; `family` restricts it to one.
  init(_ text: String, family: Family? = nil) throws(ICMPEchoError) {
    if family != .inet6 {
      var address = in_addr()
      if inet_pton(AF_INET, text, &address) == 1 {
        self = .inet(address.s_addr)
        return
      }
    }
    if family != .inet {
      var address = in6_addr()
      if inet_pton(AF_INET6, text, &address) == 1 {
        self = .inet6(withUnsafeBytes(of: &address) { Array($0) })
        return
      }
    }
    throw .invalidAddress(text)
  }

  var family: Family {
    switch self {
    case .inet: .inet
    case .inet6: .inet6
    }
  }

  var description: String {
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let converted: UnsafePointer<CChar>? =
      switch self {
      case .inet(let value):
        withUnsafeBytes(of: value) {
          inet_ntop(AF_INET, $0.baseAddress, &text, socklen_t(text.count))
        }
      case .inet6(let bytes):
        bytes.withUnsafeBytes {
          inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count))
        }
      }
    guard converted != nil else { return "?" }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Calls `body` with this address as a socket address (port 0).
  func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    switch self {
    case .inet(let value):
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr = in_addr(s_addr: value)
      return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
    case .inet6(let bytes):
      var address = sockaddr_in6()
      address.sin6_family = sa_family_t(AF_INET6)
      withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: bytes) }
      return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
      }
    }
  }

  /// The address in a socket address filled in by `recvfrom`; nil for another family.
  init?(_ storage: sockaddr_storage) {
    var storage = storage
    switch Int32(storage.ss_family) {
    case AF_INET:
      let value = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self).sin_addr.s_addr }
      self = .inet(value)
    case AF_INET6:
      let bytes = withUnsafeBytes(of: &storage) { raw in
        withUnsafeBytes(of: raw.load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
      }
      self = .inet6(bytes)
    default:
      return nil
    }
  }
}
