import ClusterTestSupport
import FoundationEssentials
import Journal
import Logging
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized) struct JournaldIntegrationTests {
  static let journald = "/lib/systemd/systemd-journald"
  static let socketPath = JournalSocketProbe.defaultPath

  @Test(.enabled(if: getuid() == 0 && access("/lib/systemd/systemd-journald", X_OK) == 0))
  func recordRoundTripsThroughJournald() async throws {
    let started = try Self.ensureJournald()
    defer { started?.stop() }

    let testRun = "\(getpid())-\(monotonicNanoseconds())"
    let probe = JournalSocketProbe()
    #expect(probe.isAvailable())
    var logger = Logger(label: "it") { label in JournalLogHandler(label: label, probe: probe) }
    logger[metadataKey: "test-run"] = "\(testRun)"
    let record = EventCatalog.configReloadFailed(
      path: "/tmp/a=b.conf", error: "line 1\nline 2 with = sign\n", context: sampleEventContext)
    let line = #line + 1
    logger.logEvent(record)

    var entry: [String: JournalValue]?
    for _ in 0..<50 {
      let out = runShell(
        "journalctl -o json --no-pager MESSAGE_ID=\(record.kind.messageID) TEST_RUN=\(testRun)")
      if let first = out.output.split(separator: "\n").first {
        entry = try JSONDecoder().decode([String: JournalValue].self, from: Data(first.utf8))
        break
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    let fields = try #require(entry, "record not found in the journal")
    #expect(fields["PRIORITY"]?.text == "3")
    #expect(fields["SYSLOG_IDENTIFIER"]?.text == "ccagentd")
    #expect(fields["CODE_FILE"]?.text == #fileID)
    #expect(fields["CODE_LINE"]?.text == String(line))
    #expect(fields["CODE_FUNC"]?.text == #function)
    #expect(fields["ERROR"]?.text == "line 1\nline 2 with = sign\n")
    #expect(fields["CONFIG_FILE"]?.text == "/tmp/a=b.conf")
    #expect(fields["CLUSTER_ID"]?.text == "7" && fields["NODE_ID"]?.text == "0")
    #expect(fields["MESSAGE"]?.text == record.message)
    #expect(fields["UNIT"] == nil)
  }

  /// A running journald answers a datagram connect; a stale socket file refuses it.
  private static func journaldIsLive() -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, byte) in socketPath.utf8.enumerated() { raw[i] = byte }
    }
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
      }
    }
  }

  /// Starts journald when none answers; `nil` when one was already running (left alone).
  private static func ensureJournald() throws -> StartedJournald? {
    if journaldIsLive() { return nil }
    let before = Set(listDirectory("/run/systemd/journal") ?? [])
    let hadDirectory = access("/run/systemd/journal", F_OK) == 0
    let pid = try spawn(journald)
    let started = StartedJournald(pid: pid, filesBefore: before, hadDirectory: hadDirectory)
    for _ in 0..<100 where !journaldIsLive() { usleep(50_000) }
    guard journaldIsLive() else {
      started.stop()
      throw TestFailure("journald did not come up")
    }
    return started
  }
}

private struct StartedJournald {
  let pid: pid_t
  let filesBefore: Set<String>
  let hadDirectory: Bool

  /// Stops it and removes the sockets it left behind, so nothing mistakes them for a journald.
  func stop() {
    kill(pid, SIGTERM)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let dir = "/run/systemd/journal"
    if !hadDirectory {
      _ = runShell("rm -rf '\(dir)'")
    } else {
      for name in listDirectory(dir) ?? [] where !filesBefore.contains(name) {
        unlink(dir + "/" + name)
      }
    }
  }
}

/// A journalctl JSON value: a string, or an array of bytes for non-UTF-8 data.
private enum JournalValue: Decodable, Equatable {
  case text(String)
  case bytes([UInt8])
  case null

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let s = try? container.decode(String.self) {
      self = .text(s)
    } else {
      self = .bytes(try container.decode([UInt8].self))
    }
  }

  var text: String? {
    switch self {
    case .text(let s): s
    case .bytes(let b): String(decoding: b, as: UTF8.self)
    case .null: nil
    }
  }
}

private func monotonicNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

private func listDirectory(_ path: String) -> [String]? {
  guard let dir = opendir(path) else { return nil }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  return names
}

/// Starts `path` with no arguments and stdio on /dev/null, as a child of this process.
private func spawn(_ path: String) throws -> pid_t {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  for fd: Int32 in [0, 1, 2] {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
  }
  let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
  defer { for arg in argv { free(arg) } }
  var pid: pid_t = 0
  let environment: [UnsafeMutablePointer<CChar>?] = [nil]
  let rc = posix_spawn(&pid, path, &actions, nil, argv, environment)
  guard rc == 0 else { throw TestFailure("posix_spawn \(path): \(rc)") }
  return pid
}
