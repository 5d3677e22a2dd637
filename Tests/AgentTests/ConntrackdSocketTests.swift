import Cluster
import Foundation
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

/// The protocol `ConntrackdSocket` speaks, against a stand-in daemon on a UNIX socket: the
/// request code goes out as 4 native-endian bytes, the answer is read until the daemon closes,
/// a daemon that never answers is given up at the timeout, and no daemon reads as conntrackd's
/// own "can't connect".
@Suite struct ConntrackdSocketTests {
  /// A listening UNIX socket in a fresh directory; `serve` handles one connection on a thread.
  final class StandIn: @unchecked Sendable {
    let path: String
    let fd: Int32
    private var thread: Thread?

    init() throws {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "ctd-\(UUID().uuidString.prefix(8))")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      path = dir.appendingPathComponent("ctl").path
      fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: Array(path.utf8))
      }
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
      }
      #expect(bound == 0 && listen(fd, 4) == 0)
    }

    /// Accepts one client, reads its 4-byte request into `received`, writes `answer`, then
    /// closes after `hold` (or keeps the connection open when `hold` is nil).
    func serve(
      answer: String, hold: Duration? = .zero, received: @escaping @Sendable (Int32) -> Void
    ) {
      let fd = self.fd
      thread = Thread {
        let client = accept(fd, nil, nil)
        var code: Int32 = -1
        _ = withUnsafeMutableBytes(of: &code) { read(client, $0.baseAddress, 4) }
        received(code)
        _ = Array(answer.utf8).withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        guard let hold else { return }  // never closed: the caller's timeout must end it
        Thread.sleep(forTimeInterval: Double(hold.components.attoseconds) / 1e18)
        close(client)
      }
      thread?.start()
    }

    deinit {
      close(fd)
      unlink(path)
    }
  }

  final class Box: @unchecked Sendable {
    var code: Int32 = -1
  }

  @Test func theRequestCodeGoesOutAndTheAnswerIsReadToTheEnd() throws {
    let daemon = try StandIn()
    let box = Box()
    daemon.serve(answer: "cache internal:\ncurrent active connections: 3\n") { box.code = $0 }
    let outcome = ConntrackdSocket.request(
      try #require(ConntrackdSocket.requests[["-s"]]), path: daemon.path, timeout: .seconds(5))
    #expect(outcome.succeeded, "\(outcome)")
    #expect(box.code == 21)
    #expect(outcome.output.contains("current active connections: 3"))
  }

  @Test func aCommitLastsUntilTheDaemonCloses() throws {
    let daemon = try StandIn()
    let box = Box()
    daemon.serve(answer: "", hold: .milliseconds(300)) { box.code = $0 }
    let outcome = ConntrackdSocket.request(46, path: daemon.path, timeout: .seconds(5))
    #expect(outcome.succeeded && box.code == 46)
    #expect(outcome.elapsed >= .milliseconds(250), "\(outcome.elapsed)")
  }

  @Test func aDaemonThatNeverAnswersIsGivenUpAtTheTimeout() throws {
    let daemon = try StandIn()
    daemon.serve(answer: "", hold: nil) { _ in }
    let outcome = ConntrackdSocket.request(46, path: daemon.path, timeout: .milliseconds(200))
    #expect(outcome.status == .timedOut)
    #expect(outcome.elapsed < .seconds(2))
  }

  @Test func noDaemonReadsAsConntrackdsCannotConnect() {
    let outcome = ConntrackdSocket.request(
      21, path: "/nonexistent-\(UUID().uuidString)/ctl", timeout: .seconds(1))
    #expect(outcome.status == .exited(1))
    #expect(outcome.failure.contains("can't connect"))
  }

  /// Every command the core's session-sync actions send, and the poll's `-s`, goes to the
  /// socket: none falls back to the binary unnoticed.
  @Test func everyCommandTheCoreSendsHasItsCode() {
    let actions: [SessionSyncAction] = [
      .commit(groups: [1], timeoutMilliseconds: 1), .resync(groups: [1], flush: true),
      .standBy(groups: [1]), .fault(groups: [1]),
    ]
    for command in actions.flatMap(\.commands) + [["-s"]] {
      #expect(ConntrackdSocket.requests[command] != nil, "\(command)")
    }
  }
}
