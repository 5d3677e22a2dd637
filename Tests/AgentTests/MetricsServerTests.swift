import Cluster
import NIOCore
import NIOPosix
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

/// A plain TCP client on loopback: what it sent, everything read until the server closed
/// (or `timeout` seconds passed).
private final class RawClient {
  let fd: Int32

  init?(port: Int, host: String = "127.0.0.1") {
    let v6 = host.contains(":")
    fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    // NIO's SocketAddress builds the sockaddr_in or sockaddr_in6.
    let connected =
      (try? SocketAddress(ipAddress: host, port: port).withSockAddr { address, size in
        connect(fd, address, socklen_t(size))
      }) ?? -1
    guard connected == 0 else {
      close(fd)
      return nil
    }
  }

  deinit { close(fd) }

  func send(_ text: String) {
    _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
  }

  /// Reads until `until` is in the text, the peer closes, or the receive timeout passes.
  func read(until: String? = nil) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = recv(fd, &buffer, buffer.count, 0)
      guard n > 0 else { break }
      bytes += buffer[..<n]
      if let until, String(decoding: bytes, as: UTF8.self).contains(until) { break }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

@Suite("The metrics endpoint's HTTP listener")
struct MetricsServerTests {
  static func withServer(
    host: String = "127.0.0.1", _ body: (Int) async throws -> Void
  ) async throws {
    let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = try await MetricsServer.open(
      address: ListenAddress(host: host, port: 0), group: loop
    ) { Array("ccagent_up 1\n".utf8) }
    let port = try #require(server.localAddress?.port)
    try await body(port)
    await server.close()
    try await loop.shutdownGracefully()
  }

  static func exchange(_ port: Int, _ request: String, host: String = "127.0.0.1") -> String {
    guard let client = RawClient(port: port, host: host) else { return "" }
    client.send(request)
    return client.read()
  }

  @Test func getMetricsAnswersTheRenderedText() async throws {
    try await Self.withServer { port in
      let reply = Self.exchange(
        port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(reply)")
      #expect(reply.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
      #expect(reply.contains("Content-Length: 13\r\n"))
      #expect(reply.hasSuffix("\r\n\r\nccagent_up 1\n"))
    }
  }

  @Test func listensOnIPv6Loopback() async throws {
    try await Self.withServer(host: "::1") { port in
      let reply = Self.exchange(
        port, "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", host: "::1")
      #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(reply)")
    }
  }

  @Test func otherPathsAre404AndOtherMethods405() async throws {
    try await Self.withServer { port in
      let notFound = Self.exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(notFound.hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(notFound)")
      for method in ["POST", "PUT", "DELETE", "HEAD"] {
        let reply = Self.exchange(
          port,
          "\(method) /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        )
        #expect(reply.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(method): \(reply)")
        #expect(reply.contains("Allow: GET\r\n"))
      }
      // Answered and closed at once, not left open until the idle timeout.
      let started = ContinuousClock.now
      let garbage = Self.exchange(port, "BLAH\r\n\r\n")
      #expect(garbage.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(garbage)")
      #expect(ContinuousClock.now - started < .seconds(5))
    }
  }

  @Test func keepAliveServesRequestsInOrderOnOneConnection() async throws {
    try await Self.withServer { port in
      let client = try #require(RawClient(port: port))
      client.send(
        "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      let replies = client.read().components(separatedBy: "HTTP/1.1 ").dropFirst()
      #expect(replies.map { String($0.prefix(3)) } == ["200", "404", "200"])
    }
  }

  @Test func connectionsPastTheCapAreClosedAtOnce() async throws {
    try await Self.withServer { port in
      let held = (0..<MetricsServer.maxConnections).compactMap { _ in RawClient(port: port) }
      #expect(held.count == MetricsServer.maxConnections)
      // Each held connection is accepted before the next one counts.
      for client in held {
        client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.read(until: "ccagent_up 1\n").hasPrefix("HTTP/1.1 200"))
      }
      let extra = Self.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
      #expect(extra == "")
      withExtendedLifetime(held) {}
    }
  }

  @Test func aLongRequestBodyClosesTheConnection() async throws {
    try await Self.withServer { port in
      let client = try #require(RawClient(port: port))
      let size = MetricsServer.maxBodyBytes + 1
      client.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
      client.send(String(repeating: "x", count: size))
      #expect(client.read() == "")
    }
  }
}
