import ArgumentParser
import Cluster
import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Talks to ccagentd's control socket: one JSON line out, one JSON line back.
enum ControlClient {
  static let defaultSocket = "/run/ccagent/ccagent.sock"

  static func send(_ request: ControlRequest, socket path: String) throws -> ControlResponse {
    let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw fail("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let reason = SocketAddress.connect(fd, unixPath: path)
    guard reason == 0 else {
      if reason == ENAMETOOLONG { throw fail("\(path): socket path too long") }
      if reason == ENOENT || reason == ECONNREFUSED {
        throw fail("ccagentd is not running (no agent listens on \(path))")
      }
      if reason == EACCES {
        throw fail("\(path): permission denied (are you in the ccagent group?)")
      }
      throw fail("\(path): \(String(cString: strerror(reason)))")
    }
    var line = JSONView.encode(request) + "\n"
    let written = line.withUTF8 { write(fd, $0.baseAddress, $0.count) }
    guard written > 0 else {
      throw fail("\(path): write failed: \(String(cString: strerror(errno)))")
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !received.contains(UInt8(ascii: "\n")) {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        throw fail("ccagentd did not answer within 10 s")
      }
      if count <= 0 { break }
      received += buffer[0..<count]
    }
    guard let newline = received.firstIndex(of: UInt8(ascii: "\n")) else {
      throw fail("ccagentd closed the connection without an answer")
    }
    do {
      return try JSONView.decode(
        ControlResponse.self, from: String(decoding: received[..<newline], as: UTF8.self))
    } catch {
      throw fail("unreadable answer from ccagentd: \(error)")
    }
  }

  static func fail(_ message: String) -> ExitCode {
    printError("ccctl: " + message)
    return ExitCode(1)
  }
}

struct SocketOption: ParsableArguments {
  @Option(name: .long, help: "The agent's control socket.")
  var socket: String = ControlClient.defaultSocket
}
