import Foundation
import MIB
import Synchronization
import Testing

@testable import Agent

// Integration tests of the AgentX bridge against a private snmpd (AgentX master) and
// snmptrapd. They need root (snmpd's AgentX socket perms, binding) and the net-snmp daemons.

private let snmpTestsEnabled =
  getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmpd")
  && FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmptrapd")
  && FileManager.default.isExecutableFile(atPath: "/usr/bin/snmpget")

private let testRoot: [UInt32] = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 1]
private let testNotification: [UInt32] = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2, 0, 1]

/// Immutable sorted snapshot with binary search (what the agent's MIB layer provides).
private struct FakeSNMPSource: SNMPDataSource {
  let rows: [(oid: [UInt32], value: SNMPValue)]

  init(_ rows: [(oid: [UInt32], value: SNMPValue)]) {
    self.rows = rows.sorted { $0.oid.lexicographicallyPrecedes($1.oid) }
  }

  /// Index of the first row whose OID is >= oid (or > oid when `strictly`).
  private func lowerBound(_ oid: [UInt32], strictly: Bool) -> Int {
    var lo = 0
    var hi = rows.count
    while lo < hi {
      let mid = (lo + hi) / 2
      let r = rows[mid].oid
      let before = strictly ? !oid.lexicographicallyPrecedes(r) : r.lexicographicallyPrecedes(oid)
      if before { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  func get(_ oid: OID) -> SNMPValue? {
    let i = lowerBound(oid.components, strictly: false)
    return i < rows.count && rows[i].oid == oid.components ? rows[i].value : nil
  }

  func getNext(_ oid: OID) -> (oid: OID, value: SNMPValue)? {
    let i = lowerBound(oid.components, strictly: true)
    return i < rows.count ? (OID(rows[i].oid), rows[i].value) : nil
  }
}

private func sampleSource(tag: String = "hello") -> FakeSNMPSource {
  let r = testRoot
  return FakeSNMPSource([
    (r + [1, 0], .integer(-42)),
    (r + [2, 0], .unsigned(4_000_000_000)),
    (r + [3, 0], .counter32(123_456)),
    (r + [4, 0], .counter64(0x1_0000_0005)),
    (r + [5, 0], .timeTicks(12_345)),
    (r + [6, 0], .octetString(Array(tag.utf8))),
    (r + [7, 0], .objectIdentifier([1, 3, 6, 1, 4, 1, 8072, 3, 2, 10])),
    (r + [8, 1, 1], .integer(1)),
    (r + [8, 1, 2], .integer(2)),
    (r + [8, 2, 1], .octetString(Array("rg1".utf8))),
    (r + [8, 2, 2], .octetString([])),
  ])
}

private func dotted(_ oid: [UInt32]) -> String { "." + oid.map(String.init).joined(separator: ".") }

// MARK: - The one subagent of this process

/// net-snmp 5.9.3 can initialise an AgentX subagent once per process, so every test shares
/// one subagent with a fixed AgentX socket path; each test runs its own snmpd on that path.
private let sharedSocketPath = NSTemporaryDirectory() + "/ccsnmp-test-\(getpid())-agentx.sock"
private let sharedLog = Mutex<[String]>([])
private let sharedAgent: SNMPSubagent = {
  let agent = SNMPSubagent(socket: sharedSocketPath, root: OID(testRoot)) { line in
    sharedLog.withLock { $0.append(line) }
  }
  agent.start()
  return agent
}()

// MARK: - Process helpers

private final class TestEnv: @unchecked Sendable {
  let dir: String
  let port: Int
  let trapPort: Int
  let socketPath: String
  let trapLog: String
  var snmpd: ChildProcess?
  var snmptrapd: ChildProcess?

  init() throws {
    dir = try Self.makeTempDir()
    port = try freeUDPPort()
    trapPort = try freeUDPPort()
    socketPath = sharedSocketPath
    trapLog = dir + "/traps.log"
    let conf = """
      master agentx
      agentXSocket \(socketPath)
      agentXPerms 0777 0777
      rocommunity public 127.0.0.1 \(dotted(testRoot))
      trap2sink 127.0.0.1:\(trapPort) public

      """
    try conf.write(toFile: dir + "/snmpd.conf", atomically: true, encoding: .utf8)
    try "authCommunity log public\n".write(
      toFile: dir + "/snmptrapd.conf", atomically: true, encoding: .utf8)
  }

  static func makeTempDir() throws -> String {
    var template = Array((NSTemporaryDirectory() + "/ccsnmp-test-XXXXXX").utf8CString)
    guard let p = mkdtemp(&template) else { throw TestError("mkdtemp failed") }
    return String(cString: p)
  }

  private func launch(_ path: String, _ args: [String], output: String) throws -> ChildProcess {
    try ChildProcess(
      path, args, output: output, environment: ["SNMP_PERSISTENT_DIR": dir + "/persist"])
  }

  func startSnmpd() async throws {
    unlink(socketPath)
    snmpd = try launch(
      "/usr/sbin/snmpd",
      ["-f", "-Lo", "-C", "-c", dir + "/snmpd.conf", "udp:127.0.0.1:\(port)"],
      output: dir + "/snmpd.out")
    let deadline = Date().addingTimeInterval(10)
    while !FileManager.default.fileExists(atPath: socketPath) {
      if Date() > deadline { throw TestError("snmpd did not create \(socketPath)") }
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  func stopSnmpd() {
    guard let p = snmpd else { return }
    snmpd = nil
    p.terminate()
  }

  func startSnmptrapd() async throws {
    snmptrapd = try launch(
      "/usr/sbin/snmptrapd",
      [
        "-f", "-Lf", trapLog, "-C", "-c", dir + "/snmptrapd.conf", "-On", "-m", "",
        "udp:127.0.0.1:\(trapPort)",
      ], output: dir + "/snmptrapd.out")
    try await Task.sleep(for: .milliseconds(300))
  }

  func trapLogText() -> String { (try? String(contentsOfFile: trapLog, encoding: .utf8)) ?? "" }

  func cleanup() {
    stopSnmpd()
    if let p = snmptrapd {
      p.terminate()
      snmptrapd = nil
    }
    unlink(socketPath)
    try? FileManager.default.removeItem(atPath: dir)
  }

  /// Runs an snmp client command against the private snmpd; returns stdout+stderr.
  func snmp(_ tool: String, _ args: [String], timeout: String = "1", retries: String = "0") throws
    -> String
  {
    let out = dir + "/client-\(UUID().uuidString).out"
    defer { unlink(out) }
    let p = try ChildProcess(
      "/usr/bin/" + tool,
      ["-v2c", "-c", "public", "-t", timeout, "-r", retries, "-m", "", "-On", "127.0.0.1:\(port)"]
        + args, output: out)
    _ = p.wait()
    return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
  }
}

/// posix_spawn-based child (Foundation.Process on Linux can stall in waitUntilExit while it
/// reaps another long-running child). Output (stdout+stderr) is appended to `output`.
private final class ChildProcess: @unchecked Sendable {
  let pid: pid_t
  private var exited = false

  init(_ path: String, _ args: [String], output: String, environment: [String: String] = [:]) throws
  {
    var env = ProcessInfo.processInfo.environment
    env["MIBS"] = ""
    for (k, v) in environment { env[k] = v }
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    defer { posix_spawn_file_actions_destroy(&fa) }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&fa, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&fa, 1, 2)
    let argv = ([path] + args).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &fa, nil, argv, envp)
    guard rc == 0 else { throw TestError("posix_spawn \(path): \(rc)") }
    self.pid = pid
  }

  @discardableResult
  func wait() -> Int32 {
    if exited { return 0 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    exited = true
    return status
  }

  func terminate() {
    guard !exited else { return }
    kill(pid, SIGTERM)
    // Give it 3 s to exit, then SIGKILL.
    for _ in 0..<300 {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        exited = true
        return
      }
      usleep(10_000)
    }
    kill(pid, SIGKILL)
    wait()
  }

  deinit { terminate() }
}

private struct TestError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

private func freeUDPPort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
  guard fd >= 0 else { throw TestError("socket") }
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  addr.sin_port = 0
  var len = socklen_t(MemoryLayout<sockaddr_in>.size)
  let ok = withUnsafeMutablePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
    }
  }
  guard ok else { throw TestError("bind") }
  return Int(UInt16(bigEndian: addr.sin_port))
}

private func waitUntil(_ seconds: Double, _ cond: () throws -> Bool) async rethrows -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if try cond() { return true }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return try cond()
}

/// Parses "-On" output lines ".1.3.6... = TYPE: value" into (oid, rest).
private func parseLines(_ text: String) -> [(oid: [UInt32], rest: String)] {
  text.split(separator: "\n").compactMap { line in
    guard line.hasPrefix("."), !line.contains("No more variables"), let eq = line.range(of: " = ")
    else { return nil }
    let oid = line[line.index(after: line.startIndex)..<eq.lowerBound].split(separator: ".")
      .compactMap { UInt32($0) }
    var rest = String(line[eq.upperBound...])
    // Timeticks print as "(12345) 0:02:03.45": keep the raw number only.
    if rest.hasPrefix("Timeticks: ("), let close = rest.firstIndex(of: ")") {
      rest = String(rest[...close])
    }
    return (oid, rest)
  }
}

private func expected(_ value: SNMPValue) -> String {
  switch value {
  case .integer(let v): return "INTEGER: \(v)"
  case .unsigned(let v): return "Gauge32: \(v)"
  case .counter32(let v): return "Counter32: \(v)"
  case .counter64(let v): return "Counter64: \(v)"
  case .timeTicks(let v): return "Timeticks: (\(v))"
  case .octetString(let b), .bits(let b):
    return b.isEmpty ? "\"\"" : "STRING: \"\(String(decoding: b, as: UTF8.self))\""
  case .objectIdentifier(let o): return "OID: \(dotted(o.components))"
  }
}

/// The shared subagent (started before this test's snmpd), serving `source`, attached to a
/// freshly started snmpd.
private func startConnected(_ env: TestEnv, source: any SNMPDataSource) async throws -> SNMPSubagent
{
  let agent = sharedAgent
  agent.update(source)
  #expect(await waitUntil(5) { !agent.isConnected }, "still attached to a previous snmpd")
  try await env.startSnmpd()
  let ok = await waitUntil(5) { agent.isConnected }
  #expect(ok, "subagent did not connect")
  return agent
}

// MARK: - Tests

@Suite("SNMP AgentX bridge", .serialized)
struct SNMPBridgeTests {
  @Test("notification queue is bounded and drops the oldest")
  func queueBound() {
    let agent = SNMPSubagent(socket: "/nonexistent", root: OID(testRoot), logger: { _ in })
    for i in 0..<1005 {
      agent.send(
        notification: OID(testNotification),
        varbinds: [VarBind(oid: OID(testRoot + [1, 0]), value: .integer(Int32(i)))])
    }
    #expect(agent.queuedNotifications == 1000)
    #expect(agent.droppedNotifications == 5)
    #expect(!agent.isConnected)
  }

  @Test("GET, GETNEXT, walk, bulkwalk, update", .enabled(if: snmpTestsEnabled))
  func servesValues() async throws {
    let env = try TestEnv()
    defer { env.cleanup() }
    let source = sampleSource()
    let agent = try await startConnected(env, source: source)

    // GET of every value and type.
    for row in source.rows {
      let lines = parseLines(try env.snmp("snmpget", [dotted(row.oid)]))
      #expect(lines.count == 1)
      #expect(lines.first?.oid == row.oid)
      #expect(lines.first?.rest == expected(row.value), "\(dotted(row.oid))")
    }
    // Several varbinds in one GET.
    let multi = parseLines(try env.snmp("snmpget", source.rows.prefix(4).map { dotted($0.oid) }))
    #expect(multi.map(\.oid) == source.rows.prefix(4).map(\.oid))

    // Misses.
    let noInstance = try env.snmp("snmpget", [dotted(testRoot + [1, 1])])
    #expect(noInstance.contains("No Such Instance"), "\(noInstance)")
    let noObject = try env.snmp("snmpget", [dotted(testRoot + [99, 0])])
    #expect(noObject.contains("No Such Object"), "\(noObject)")

    // GETNEXT from the root, between values, and past the end.
    let first = parseLines(try env.snmp("snmpgetnext", [dotted(testRoot)]))
    #expect(first.first?.oid == source.rows[0].oid)
    let mid = parseLines(try env.snmp("snmpgetnext", [dotted(testRoot + [8, 1, 1, 7])]))
    #expect(mid.first?.oid == testRoot + [8, 1, 2])
    let end = try env.snmp("snmpgetnext", [dotted(source.rows.last!.oid)])
    #expect(end.contains("No more variables left in this MIB View"), "\(end)")

    // Walks.
    for tool in ["snmpwalk", "snmpbulkwalk"] {
      let text = try env.snmp(tool, [dotted(testRoot)])
      let lines = parseLines(text)
      #expect(lines.map(\.oid) == source.rows.map(\.oid), "\(tool): \(text)")
      #expect(lines.map(\.rest) == source.rows.map { expected($0.value) }, "\(tool)")
      for (a, b) in zip(lines, lines.dropFirst()) {
        #expect(a.oid.lexicographicallyPrecedes(b.oid))
      }
      #expect(!text.contains("Timeout"))
      // The view ends with our subtree: the walk stops there.
      #expect(text.contains("No more variables left in this MIB View"), "\(tool)")
    }

    // update() swaps the source: the next request sees it.
    agent.update(sampleSource(tag: "world"))
    let changed = parseLines(try env.snmp("snmpget", [dotted(testRoot + [6, 0])]))
    #expect(changed.first?.rest == "STRING: \"world\"")
    agent.update(FakeSNMPSource([(testRoot + [42, 0], .integer(7))]))
    let walked = parseLines(try env.snmp("snmpwalk", [dotted(testRoot)]))
    #expect(walked.map(\.oid) == [testRoot + [42, 0]])

    let logs = sharedLog.withLock { $0 }
    #expect(!logs.contains { $0.contains("Cannot find module") }, "\(logs)")
  }

  @Test(
    "reconnects after snmpd restart and flushes queued notifications",
    .enabled(if: snmpTestsEnabled))
  func reconnectAndFlush() async throws {
    let env = try TestEnv()
    defer { env.cleanup() }
    try await env.startSnmptrapd()
    let agent = try await startConnected(env, source: sampleSource())
    let events = Mutex<[Bool]>([])
    agent.onConnectionChange { up in events.withLock { $0.append(up) } }
    let sentBefore = agent.sentNotifications

    // A notification while connected goes straight out.
    agent.send(
      notification: OID(testNotification),
      varbinds: [VarBind(oid: OID(testRoot + [6, 0]), value: .octetString(Array("live-0".utf8)))])
    #expect(await waitUntil(5) { env.trapLogText().contains("live-0") }, "\(env.trapLogText())")

    env.stopSnmpd()
    #expect(await waitUntil(5) { !agent.isConnected }, "disconnect not noticed")
    for i in 1...3 {
      agent.send(
        notification: OID(testNotification),
        varbinds: [
          VarBind(oid: OID(testRoot + [6, 0]), value: .octetString(Array("queued-\(i)".utf8))),
          VarBind(oid: OID(testRoot + [1, 0]), value: .integer(Int32(i))),
        ])
    }
    try await Task.sleep(for: .milliseconds(300))
    #expect(agent.queuedNotifications == 3)

    let restarted = Date()
    try await env.startSnmpd()
    var answered: TimeInterval? = nil
    while Date().timeIntervalSince(restarted) < 10 {
      let out = try env.snmp("snmpget", [dotted(testRoot + [1, 0])], timeout: "0.5")
      if out.contains("INTEGER: -42") {
        answered = Date().timeIntervalSince(restarted)
        break
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    print(
      "SNMP: subtree answered again \(answered.map { String(format: "%.2f", $0) } ?? "never") s after snmpd restart"
    )
    #expect(answered != nil && answered! <= 5)
    #expect(
      await waitUntil(10) {
        let t = env.trapLogText()
        return (1...3).allSatisfy { t.contains("queued-\($0)") }
      }, "\(env.trapLogText())")
    #expect(agent.queuedNotifications == 0)
    #expect(agent.droppedNotifications == 0)
    #expect(agent.sentNotifications - sentBefore == 4)
    let t = env.trapLogText()
    #expect(t.contains(dotted(testNotification)))
    #expect(events.withLock { $0 } == [false, true])
  }

  @Test("starts without snmpd and attaches when it appears", .enabled(if: snmpTestsEnabled))
  func attachesLater() async throws {
    let env = try TestEnv()
    defer { env.cleanup() }
    // The shared subagent was started before any snmpd of this test existed.
    let agent = sharedAgent
    agent.update(sampleSource())
    #expect(await waitUntil(5) { !agent.isConnected })
    let logCount = sharedLog.withLock { $0.count }
    try await Task.sleep(for: .milliseconds(2500))
    #expect(!agent.isConnected)
    try await env.startSnmpd()
    #expect(await waitUntil(5) { agent.isConnected })
    let out = parseLines(try env.snmp("snmpget", [dotted(testRoot + [5, 0])]))
    #expect(out.first?.rest == "Timeticks: (12345)")
    // The retry warning is logged once, not once per second.
    let logs = sharedLog.withLock { Array($0.dropFirst(logCount)) }
    #expect(logs.filter { $0.contains("Failed to connect") }.count <= 1, "\(logs)")
  }

  @Test("a 5000-value source walks completely", .enabled(if: snmpTestsEnabled))
  func largeWalk() async throws {
    let env = try TestEnv()
    defer { env.cleanup() }
    var rows: [(oid: [UInt32], value: SNMPValue)] = []
    for i in 1...1000 {
      rows.append((testRoot + [10, 1, 1, UInt32(i)], .integer(Int32(i))))
      rows.append((testRoot + [10, 1, 2, UInt32(i)], .counter64(UInt64(i) << 33)))
      rows.append((testRoot + [10, 1, 3, UInt32(i)], .octetString(Array("row \(i)".utf8))))
      rows.append((testRoot + [10, 1, 4, UInt32(i)], .unsigned(UInt32(i * 3))))
      rows.append((testRoot + [10, 1, 5, UInt32(i)], .timeTicks(UInt32(i * 100))))
    }
    let source = FakeSNMPSource(rows)
    _ = try await startConnected(env, source: source)
    for tool in ["snmpbulkwalk", "snmpwalk"] {
      let start = Date()
      let lines = parseLines(try env.snmp(tool, [dotted(testRoot)], timeout: "5"))
      let elapsed = Date().timeIntervalSince(start)
      print("SNMP: \(tool) of 5000 values took \(String(format: "%.2f", elapsed)) s")
      #expect(lines.count == 5000, "\(tool)")
      let same = lines.map(\.oid) == source.rows.map(\.oid)
      #expect(same, "\(tool): OIDs differ")
      #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.oid.lexicographicallyPrecedes($1.oid) })
    }
  }
}
