import FoundationEssentials
import Logging
import Synchronization
import Testing

@testable import Agent
@testable import Cluster

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Field names and payload

@Suite struct JournalFieldNameTests {
  @Test(
    arguments: [
      ("rg-id", "RG_ID"), ("RG_ID", "RG_ID"), ("_x", "X"), ("__hidden_field", "HIDDEN_FIELD"),
      ("9a", "F_9A"), ("__9", "F_9"), ("a.b c", "A_B_C"), ("naïve", "NA_VE"),
      ("e\u{301}", "E_"), ("ключ-1", "F_1"), ("MESSAGE_ID", "MESSAGE_ID"),
    ] as [(String, String)])
  func sanitizes(key: String, expected: String) {
    #expect(JournalFields.sanitize(key) == expected)
    #expect(JournalFields.isValidName(expected))
  }

  @Test(arguments: ["", "_", "___", "-", "日本"])
  func dropsNamesWithNothingLeft(key: String) {
    #expect(JournalFields.sanitize(key) == nil)
  }

  @Test func cutsLongNamesTo64() {
    let long = String(repeating: "a", count: 100)
    #expect(JournalFields.sanitize(long) == String(repeating: "A", count: 64))
    let digit = "1" + String(repeating: "b", count: 70)
    let cut = JournalFields.sanitize(digit)
    #expect(cut?.count == 64)
    #expect(cut?.hasPrefix("F_1BBB") == true)
  }

  @Test func reservedMetadataKeysAreRenamed() {
    #expect(JournalFields.metadataFieldName("priority") == "META_PRIORITY")
    #expect(JournalFields.metadataFieldName("unit") == "META_UNIT")
    #expect(JournalFields.metadataFieldName("message") == "META_MESSAGE")
    #expect(JournalFields.metadataFieldName("MESSAGE_ID") == "MESSAGE_ID")
  }

  @Test func payloadKeepsBytesExactly() throws {
    let binary: [UInt8] = [0x00, 0xFF, 0x0A, 0x3D, 0x0D, 0x80, 0x41]
    let fields = [
      try #require(JournalField(key: "multi-line", value: "one\ntwo\n\nthree\n")),
      try #require(JournalField(key: "equals", value: "a=b==c=")),
      try #require(JournalField(key: "binary", value: binary)),
      try #require(JournalField(key: "empty", value: "")),
    ]
    let payload = JournalFields.payload(fields)
    #expect(
      payload == [
        Array("MULTI_LINE=one\ntwo\n\nthree\n".utf8), Array("EQUALS=a=b==c=".utf8),
        Array("BINARY=".utf8) + binary, Array("EMPTY=".utf8),
      ])
    // What sd_journal_sendv would see through the iovecs.
    let seen = JournalFields.withIOVecs(payload) { vecs in
      vecs.map { v in
        Array(UnsafeRawBufferPointer(start: v.iov_base, count: v.iov_len))
      }
    }
    #expect(seen == payload)
  }

  @Test func handlerFieldsComeFirstAndMetadataIsSanitized() {
    let fields = JournalLogHandler.fields(
      level: .warning, message: "hello", identifier: "ccagentd", file: "Agent/X.swift",
      line: 42, function: "f()",
      metadata: ["rg-id": "1", "unit": "evil.service", "priority": "0", "_": "dropped"])
    let pairs = fields.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }
    #expect(
      pairs.map(\.0) == [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
        "META_PRIORITY", "META_UNIT", "RG_ID",
      ])
    #expect(pairs[1].1 == "4")
    #expect(pairs[4].1 == "42")
    #expect(!pairs.contains { $0.0 == "UNIT" })
  }

  @Test func prioritiesFollowSyslog() {
    let expected: [Logger.Level: Int] = [
      .trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2,
    ]
    for (level, priority) in expected {
      #expect(JournalLogHandler.syslogPriority(level) == priority)
    }
  }
}

// MARK: - stderr lines

/// Reverses `StderrLogHandler`'s escaping of a value (quoted or bare).
private func unquote(_ text: Substring) -> String {
  guard text.first == "\"" else { return String(text) }  // Bare values hold no escapes.
  return unescape(text.dropFirst().dropLast())
}

/// Reverses the escaping inside quotes and in the message.
private func unescape(_ text: Substring) -> String {
  var out: [UInt8] = []
  var bytes = Array(text.utf8)[...]
  while let b = bytes.popFirst() {
    guard b == UInt8(ascii: "\\"), let e = bytes.popFirst() else {
      out.append(b)
      continue
    }
    switch e {
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "x"):
      let hex = String(decoding: bytes.prefix(2), as: UTF8.self)
      out.append(UInt8(hex, radix: 16)!)
      bytes = bytes.dropFirst(2)
    default: out.append(e)  // \\ and \"
    }
  }
  return String(decoding: out, as: UTF8.self)
}

/// Splits ` NAME=value NAME="quoted value"` into pairs, values unescaped.
private func parseFields(_ text: Substring) -> [(String, String)] {
  var result: [(String, String)] = []
  var rest = text
  while !rest.isEmpty {
    rest = rest.drop { $0 == " " }
    guard let eq = rest.firstIndex(of: "=") else { break }
    let name = String(rest[..<eq])
    rest = rest[rest.index(after: eq)...]
    var end = rest.startIndex
    if rest.first == "\"" {
      var escaped = false
      end = rest.index(after: end)
      while end < rest.endIndex {
        let c = rest[end]
        end = rest.index(after: end)
        if escaped {
          escaped = false
        } else if c == "\\" {
          escaped = true
        } else if c == "\"" {
          break
        }
      }
    } else {
      end = rest.firstIndex(of: " ") ?? rest.endIndex
    }
    result.append((name, unquote(rest[..<end])))
    rest = rest[end...]
  }
  return result
}

@Suite struct StderrLineTests {
  static let tricky = [
    "plain", "with space", "a=b", "quote\"d", #"back\slash"#, "multi\nline\r\n", "tab\there",
    "", "\u{7}bell\u{7F}", "ünïcödé ✓", "trailing ", "\"", "\\n literally",
  ]

  @Test(arguments: StderrLineTests.tricky)
  func valuesRoundTripOnOneLine(value: String) {
    let formatted = StderrLogHandler.formatValue(value)
    #expect(!formatted.utf8.contains(0x0A) && !formatted.utf8.contains(0x0D))
    #expect(!formatted.contains(" ") || formatted.hasPrefix("\""))
    #expect(unquote(formatted[...]) == value)
    let message = StderrLogHandler.escapeMessage(value)
    #expect(!message.utf8.contains(0x0A) && !message.utf8.contains(0x0D))
    #expect(unescape(message[...]) == value)
  }

  @Test func lineHasTheDocumentedShape() {
    let line = StderrLogHandler.formatLine(
      time: timespec(tv_sec: 1_795_248_000, tv_nsec: 123_456_789), level: .notice,
      identifier: "ccagentd", message: "rg1 primary -> secondary-hold",
      fields: [("KEY", "value"), ("KEY2", "value with spaces")])
    #expect(
      String(decoding: line, as: UTF8.self)
        == "2026-11-21T08:00:00.123Z notice ccagentd: rg1 primary -> secondary-hold "
        + "KEY=value KEY2=\"value with spaces\"\n")
  }

  @Test func wholeLineRoundTrips() {
    let fields = Self.tricky.enumerated().map { ("F\($0.offset)", $0.element) }
    let message = "two\nlines and a \\ backslash"
    let line = String(
      decoding: StderrLogHandler.formatLine(
        time: timespec(tv_sec: 0, tv_nsec: 0), level: .error, identifier: "ccagentd",
        message: message, fields: fields), as: UTF8.self)
    #expect(line.utf8.filter { $0 == 0x0A }.count == 1 && line.hasSuffix("\n"))
    let body = line.dropLast()
    let prefix = "1970-01-01T00:00:00.000Z error ccagentd: "
    #expect(body.hasPrefix(prefix))
    let afterPrefix = body.dropFirst(prefix.count)
    let split = afterPrefix.firstRange(of: " F0=")!
    #expect(unescape(afterPrefix[..<split.lowerBound]) == message)
    let parsed = parseFields(afterPrefix[split.lowerBound...])
    #expect(parsed.map(\.0) == fields.map(\.0))
    #expect(parsed.map(\.1) == fields.map(\.1))
  }

  @Test func handlerWritesOneLinePerRecordWithMergedMetadata() throws {
    let pipe = try TestPipe()
    var handler = StderrLogHandler(
      label: "test", fileDescriptor: pipe.write,
      metadataProvider: Logger.MetadataProvider { ["from-provider": "p", "shared": "provider"] })
    handler.metadata = ["from-handler": "h", "shared": "handler"]
    let configured = handler
    var logger = Logger(label: "test") { _ in configured }
    logger.logLevel = .debug
    logger.warning("one\ntwo", metadata: ["shared": "call", "rg-id": "7"])
    logger.debug("second")
    let text = pipe.readAvailable()
    let lines = text.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[0].contains(" warning ccagentd: one\\ntwo "))
    #expect(lines[0].hasSuffix("FROM_HANDLER=h FROM_PROVIDER=p RG_ID=7 SHARED=call"))
    #expect(lines[1].contains(" debug ccagentd: second FROM_HANDLER=h "))
  }

  @Test func journalHandlerFallsBackToStderrWithoutSocket() throws {
    let pipe = try TestPipe()
    let probe = JournalSocketProbe(path: "/nonexistent/ccagent-test/socket")
    #expect(!probe.isAvailable())
    let handler = JournalLogHandler(label: "t", probe: probe, fallbackFileDescriptor: pipe.write)
    let logger = Logger(label: "t") { _ in handler }
    logger.error("no journal here", error: TestFailure("boom x"), metadata: ["rg-id": "3"])
    let text = pipe.readAvailable()
    #expect(text.hasSuffix(" error ccagentd: no journal here RG_ID=3 SWIFT_ERROR=\"boom x\"\n"))
  }

  @Test func automaticTargetResolves() {
    #expect(LogTarget.stderr.resolved() == .stderr)
    #expect(LogTarget.journal.resolved() == .journal)
    #expect(LogTarget.automatic.resolved() != .automatic)
    #expect(makeLogHandler(label: "x", target: .stderr) is StderrLogHandler)
    #expect(makeLogHandler(label: "x", target: .journal) is JournalLogHandler)
  }
}

// MARK: - Event catalog

/// Every `ClusterEvent` case; the switch makes a new case a compile error here.
private func caseName(_ event: ClusterEvent) -> String {
  switch event {
  case .groupStateChanged: "groupStateChanged"
  case .interfaceMonitorChanged: "interfaceMonitorChanged"
  case .ipMonitorChanged: "ipMonitorChanged"
  case .controlLinkDown: "controlLinkDown"
  case .controlLinkUp: "controlLinkUp"
  case .fabricLinkDown: "fabricLinkDown"
  case .fabricLinkUp: "fabricLinkUp"
  case .peerLost: "peerLost"
  case .peerFound: "peerFound"
  case .splitBrainDetected: "splitBrainDetected"
  case .splitBrainResolved: "splitBrainResolved"
  case .configMismatch: "configMismatch"
  case .configMatch: "configMatch"
  case .manualFailoverRequested: "manualFailoverRequested"
  case .manualFailoverReset: "manualFailoverReset"
  case .failoverCountCleared: "failoverCountCleared"
  case .preemptLimitReached: "preemptLimitReached"
  case .datagramRejected: "datagramRejected"
  }
}

private let allCaseNames: Set<String> = [
  "groupStateChanged", "interfaceMonitorChanged", "ipMonitorChanged", "controlLinkDown",
  "controlLinkUp", "fabricLinkDown", "fabricLinkUp", "peerLost", "peerFound",
  "splitBrainDetected", "splitBrainResolved", "configMismatch", "configMatch",
  "manualFailoverRequested", "manualFailoverReset", "failoverCountCleared",
  "preemptLimitReached", "datagramRejected",
]

private let context = EventContext(
  clusterID: 7, nodeID: 0, heartbeatIntervalMilliseconds: 1000, configDigest: 0x0123_4567_89AB_CDEF
)

private func stateChange(_ from: RedundancyGroupState, _ to: RedundancyGroupState, _ reason: String)
  -> ClusterEvent
{
  .groupStateChanged(
    GroupStateChange(
      group: 1, from: from, to: to, reason: reason, failoverCount: 2, localPriority: 200,
      peerPriority: nil))
}

private let sampleEvents: [ClusterEvent] = [
  stateChange(.primary, .secondaryHold, "monitor failure (IF)"),
  stateChange(.secondary, .primary, "peer lost"),
  stateChange(.hold, .primary, "hold timer expired"),
  .interfaceMonitorChanged(
    InterfaceMonitorChange(
      group: 1, index: 2, interface: "eth1", state: .down, monitorWeight: 255, groupWeight: 0)),
  .interfaceMonitorChanged(
    InterfaceMonitorChange(
      group: 1, index: 2, interface: "eth1", state: .up, monitorWeight: 255, groupWeight: 255)),
  .ipMonitorChanged(
    IPMonitorChange(
      group: 2, index: 1, address: "192.0.2.1", reachable: false, monitorWeight: 100,
      groupWeight: 155, remainingThreshold: 0)),
  .ipMonitorChanged(
    IPMonitorChange(
      group: 2, index: 1, address: "192.0.2.1", reachable: true, monitorWeight: 100,
      groupWeight: 255, remainingThreshold: 100)),
  .controlLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: 3012),
  .controlLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: nil),
  .controlLinkUp,
  .fabricLinkDown(missedProbes: 4, lastProbeAgeMilliseconds: 4000),
  .fabricLinkUp,
  .peerLost(lastMessageAgeMilliseconds: 3100),
  .peerFound(restarted: true),
  .splitBrainDetected(
    SplitBrain(groups: [0, 1], localPriorities: [200, 100], peerPriorities: [100, 200])),
  .splitBrainResolved(SplitBrainResolution(groups: [0, 1], winner: 0, reason: "better priority")),
  .configMismatch(localDigest: 1, peerDigest: 0xFFFF_FFFF_FFFF_FFFF),
  .configMatch,
  .manualFailoverRequested(group: 1, node: 1, requestedBy: 0),
  .manualFailoverReset(group: 1, requestedBy: nil, reason: "failback"),
  .failoverCountCleared(requestedBy: nil),
  .preemptLimitReached(group: 1, limit: 3, periodSeconds: 600),
  .datagramRejected(link: .control, reason: "replayed sequence 5"),
]

private func shellRecords() -> [EventRecord] {
  let summary = RateLimiter<PlainInstant>.Summary(
    key: "auth:10.0.0.2", suppressed: 12, windowStart: PlainInstant(), window: .seconds(10))
  return [
    EventCatalog.configLoaded(path: "/etc/ccagent/ccagent.conf", context: context),
    EventCatalog.configReloadFailed(
      path: "/etc/ccagent/ccagent.conf", error: "x", context: context),
    EventCatalog.messagesSuppressed(summary, kind: .authenticationFailure, context: context),
    EventCatalog.agentxConnected(socket: "/var/agentx/master", context: context),
    EventCatalog.agentxDisconnected(socket: "/var/agentx/master", context: context),
    EventCatalog.agentStarted(version: "0.1.0", context: context),
    EventCatalog.agentStopping(context: context),
    EventCatalog.authenticationFailure(
      source: "10.0.0.2", link: "fabric", reason: "bad MAC", context: context),
  ]
}

/// Any instant type works with the rate limiter; this one is a plain number.
private struct PlainInstant: InstantProtocol {
  var nanoseconds: Int64 = 0
  func advanced(by duration: Duration) -> Self {
    Self(nanoseconds: nanoseconds + duration.nanosecondsClamped)
  }
  func duration(to other: Self) -> Duration { .nanoseconds(other.nanoseconds - nanoseconds) }
  static func < (a: Self, b: Self) -> Bool { a.nanoseconds < b.nanoseconds }
}

@Suite struct EventCatalogTests {
  @Test func messageIDsAreUnique128BitHex() {
    let ids = EventKind.allCases.map(\.messageID)
    #expect(Set(ids).count == ids.count)
    for id in ids {
      #expect(id.utf8.count == 32)
      #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
    }
  }

  @Test func kindsAreConsistent() {
    for kind in EventKind.allCases {
      #expect(Array(kind.fields.prefix(2)) == ["CLUSTER_ID", "NODE_ID"])
      #expect(Set(kind.fields).count == kind.fields.count, "\(kind)")
      #expect(kind.fields.allSatisfy(JournalFields.isValidName), "\(kind)")
      #expect(kind.fields.allSatisfy { !JournalFields.reservedNames.contains($0) }, "\(kind)")
      #expect((2...6).contains(kind.priority))
      #expect(JournalLogHandler.syslogPriority(kind.level) == kind.priority, "\(kind)")
    }
  }

  @Test func everyClusterEventMapsWithAllDocumentedFields() throws {
    #expect(Set(sampleEvents.map(caseName)) == allCaseNames)
    for event in sampleEvents {
      let record = try #require(EventCatalog.record(for: event, context: context))
      #expect(record.fields.map(\.0) == record.kind.fields, "\(event)")
      #expect(record.fields.allSatisfy { !$0.1.isEmpty }, "\(event)")
      #expect(!record.message.isEmpty && !record.message.contains("\n"))
      #expect(record[field: "CLUSTER_ID"] == "7" && record[field: "NODE_ID"] == "0")
    }
  }

  @Test func everyKindIsProduced() throws {
    var kinds = Set(
      try sampleEvents.map { try #require(EventCatalog.record(for: $0, context: context)).kind })
    for record in shellRecords() {
      #expect(record.fields.map(\.0) == record.kind.fields, "\(record.kind)")
      kinds.insert(record.kind)
    }
    #expect(kinds == Set(EventKind.allCases))
  }

  @Test func stateChangesAndFailovers() throws {
    let down = try #require(EventCatalog.record(for: sampleEvents[0], context: context))
    #expect(down.kind == .rgStateChange)
    #expect(down.message == "rg1 primary -> secondary-hold (monitor failure (IF))")
    #expect(down[field: "PRIORITY_PEER"] == "unknown")
    let takeover = try #require(EventCatalog.record(for: sampleEvents[1], context: context))
    #expect(takeover.kind == .rgFailover)
    #expect(takeover.kind.priority == 4)
    let election = try #require(EventCatalog.record(for: sampleEvents[2], context: context))
    #expect(election.kind == .rgStateChange)
  }

  @Test func fieldValues() throws {
    func record(_ i: Int) throws -> EventRecord {
      try #require(EventCatalog.record(for: sampleEvents[i], context: context))
    }
    let ifDown = try record(3)
    #expect(ifDown.kind == .interfaceMonitorFailure)
    #expect(ifDown[field: "MONITOR_KIND"] == "interface" && ifDown[field: "THRESHOLD"] == "0")
    let ipDown = try record(5)
    #expect(ipDown[field: "MONITOR_KIND"] == "ip" && ipDown[field: "THRESHOLD"] == "155")
    #expect(ipDown[field: "GLOBAL_THRESHOLD_LEFT"] == "0")
    let link = try record(7)
    #expect(link[field: "PEER_NODE_ID"] == "1" && link[field: "HEARTBEAT_INTERVAL_MS"] == "1000")
    #expect(link[field: "LAST_HEARTBEAT_AGE_MS"] == "3012")
    #expect(try record(8)[field: "LAST_HEARTBEAT_AGE_MS"] == "never")
    let split = try record(14)
    #expect(split[field: "RG_IDS"] == "0,1" && split[field: "PRIORITIES_PEER"] == "100,200")
    let mismatch = try record(16)
    #expect(mismatch[field: "CONFIG_DIGEST"] == "0000000000000001")
    #expect(mismatch[field: "PEER_CONFIG_DIGEST"] == "ffffffffffffffff")
    #expect(try record(17)[field: "CONFIG_DIGEST"] == "0123456789abcdef")
    #expect(try record(19)[field: "REQUESTED_BY"] == "agent")
    let rejected = try record(22)
    #expect(rejected.kind == .authenticationFailure)
    #expect(rejected[field: "SOURCE_ADDRESS"] == "unknown" && rejected[field: "LINK"] == "control")
    let known = try #require(
      EventCatalog.record(for: sampleEvents[22], context: context, sourceAddress: "10.0.0.2"))
    #expect(known[field: "SOURCE_ADDRESS"] == "10.0.0.2")
    #expect(known.message == "control datagram from 10.0.0.2 rejected: replayed sequence 5")
  }

  @Test func logEventPassesLevelMessageIDAndCallSite() throws {
    let store = CapturedRecords()
    let logger = Logger(label: "capture") { _ in CapturingHandler(store: store) }
    let record = try #require(EventCatalog.record(for: sampleEvents[7], context: context))
    let line = #line + 1
    logger.logEvent(record)
    let event = try #require(store.events.first)
    #expect(event.level == .critical)
    #expect(event.metadata?["MESSAGE_ID"] == .string(EventKind.controlLinkDown.messageID))
    #expect(event.metadata?["MISSED_HEARTBEATS"] == "3")
    #expect(event.file == #fileID && event.line == UInt(line))
    #expect(event.function == #function)
    EventCatalog.log(record, to: logger)
    #expect(store.events.count == 2 && store.events[1].level == .critical)
  }
}

// MARK: - Catalog file

private struct CatalogEntry {
  var id: String
  var headers: [String: String] = [:]
  var body: [String] = []
}

private func parseCatalog(_ text: String) -> [CatalogEntry] {
  var entries: [CatalogEntry] = []
  var inBody = false
  for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
    let line = String(rawLine)
    if line.hasPrefix("-- ") {
      entries.append(CatalogEntry(id: String(line.dropFirst(3))))
      inBody = false
      continue
    }
    guard !entries.isEmpty else { continue }  // Comments before the first entry.
    if inBody {
      entries[entries.count - 1].body.append(line)
    } else if line.isEmpty {
      inBody = true
    } else if let colon = line.firstIndex(of: ":") {
      let value = line[line.index(after: colon)...].drop { $0 == " " }
      entries[entries.count - 1].headers[String(line[..<colon])] = String(value)
    }
  }
  return entries
}

/// `@FIELD@` references in a catalog text.
private func substitutions(_ text: String) -> Set<String> {
  let parts = text.split(separator: "@", omittingEmptySubsequences: false)
  var names: Set<String> = []
  var i = 1
  while i < parts.count - 1 {
    if JournalFields.isValidName(String(parts[i])) {
      names.insert(String(parts[i]))
      i += 2
    } else {
      i += 1
    }
  }
  return names
}

private let catalogPath: String = {
  // Tests/AgentTests/JournalTests.swift → packaging/ccagent.catalog
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return (parts + ["packaging", "ccagent.catalog"]).joined(separator: "/")
}()

@Suite struct CatalogFileTests {
  @Test func catalogMatchesTheCode() throws {
    let text = try #require(readFile(catalogPath), "cannot read \(catalogPath)")
    let entries = parseCatalog(text)
    let byID = Dictionary(entries.map { ($0.id, $0) }) { first, _ in first }
    #expect(entries.count == byID.count, "duplicate ids")
    #expect(Set(byID.keys) == Set(EventKind.allCases.map(\.messageID)))
    for kind in EventKind.allCases {
      let entry = try #require(byID[kind.messageID], "\(kind)")
      let subject = try #require(entry.headers["Subject"], "\(kind)")
      #expect(!subject.isEmpty)
      #expect(entry.headers["Defined-By"] == "ccagent", "\(kind)")
      #expect(entry.headers["Documentation"] == "man:ccagentd(8)", "\(kind)")
      let body = entry.body.joined(separator: "\n")
      #expect(body.contains { !$0.isWhitespace }, "\(kind) has an empty body")
      let used = substitutions(subject).union(substitutions(body))
      #expect(used.isSubset(of: Set(kind.fields)), "\(kind): \(used.subtracting(kind.fields))")
    }
  }

  @Test(.enabled(if: access("/usr/bin/journalctl", X_OK) == 0))
  func journalctlAcceptsTheCatalog() throws {
    let root = try TemporaryDirectory()
    defer { root.remove() }
    let dir = root.path + "/usr/lib/systemd/catalog"
    #expect(run("mkdir -p '\(dir)' && cp '\(catalogPath)' '\(dir)/'").status == 0)
    let update = run("journalctl --root='\(root.path)' --update-catalog 2>&1")
    #expect(update.status == 0, "\(update.output)")
    let list = run("journalctl --root='\(root.path)' --list-catalog 2>&1")
    #expect(list.status == 0)
    let listed = Set(list.output.split(separator: "\n").map { String($0.prefix(32)) })
    #expect(Set(EventKind.allCases.map(\.messageID)).isSubset(of: listed))
    let dump = run(
      "journalctl --root='\(root.path)' --dump-catalog \(EventKind.rgFailover.messageID)")
    #expect(dump.output.contains("Subject: Failover: node @NODE_ID@ is now primary"))
  }
}

// MARK: - Rate limiter

@Suite struct RateLimiterTests {
  /// All instants derive from one clock reading, so the tests are deterministic.
  static let origin = ContinuousClock.now
  func at(_ ms: Int64) -> ContinuousClock.Instant { Self.origin + .milliseconds(ms) }

  @Test func allowsFivePerWindowThenSummarizes() {
    var limiter = RateLimiter<ContinuousClock.Instant>()
    let first = (0..<8).map { limiter.admit(key: "auth:10.0.0.2", now: at(Int64($0) * 100)) }
    #expect(first.map(\.allowed) == [true, true, true, true, true, false, false, false])
    #expect(first.allSatisfy { $0.summary == nil })
    // Other keys have their own budget.
    #expect(limiter.admit(key: "auth:10.0.0.3", now: at(900)).allowed)
    // The next record after the window closes gets the summary.
    let next = limiter.admit(key: "auth:10.0.0.2", now: at(10_000))
    #expect(next.allowed)
    #expect(
      next.summary
        == .init(key: "auth:10.0.0.2", suppressed: 3, windowStart: at(0), window: .seconds(10)))
    #expect(limiter.admit(key: "auth:10.0.0.2", now: at(20_000)).summary == nil)
  }

  @Test func expireReportsBurstsThatStopped() {
    var limiter = RateLimiter<ContinuousClock.Instant>(limit: 2, window: .seconds(1))
    for i in 0..<5 { _ = limiter.admit(key: "a", now: at(Int64(i))) }
    _ = limiter.admit(key: "b", now: at(500))
    #expect(limiter.nextExpiry == at(1000))
    #expect(limiter.expire(now: at(999)).isEmpty)
    let summaries = limiter.expire(now: at(1000))
    #expect(summaries.map(\.key) == ["a"] && summaries.first?.suppressed == 3)
    #expect(limiter.keyCount == 1)
    #expect(limiter.expire(now: at(1500)).isEmpty)
    #expect(limiter.keyCount == 0 && limiter.nextExpiry == nil)
  }

  @Test func tableIsBounded() {
    var limiter = RateLimiter<ContinuousClock.Instant>(
      limit: 1, window: .seconds(10), maxKeys: 3)
    for i in 0..<100 { _ = limiter.admit(key: "k\(i)", now: at(Int64(i))) }
    #expect(limiter.keyCount == 4)  // three keys plus the shared overflow bucket
    let summaries = limiter.expire(now: at(20_000))
    #expect(summaries.map(\.key) == [RateLimiter<ContinuousClock.Instant>.overflowKey])
    #expect(summaries.first?.suppressed == 96)
  }

  @Test func summaryBecomesARecord() {
    let summary = RateLimiter<ContinuousClock.Instant>.Summary(
      key: "auth:10.0.0.2", suppressed: 12, windowStart: at(0), window: .milliseconds(2500))
    let record = EventCatalog.messagesSuppressed(
      summary, kind: .authenticationFailure, context: context)
    #expect(record[field: "SUPPRESSED_KIND"] == "authentication-failure")
    #expect(record[field: "SUPPRESSED_KEY"] == "auth:10.0.0.2")
    #expect(record[field: "SUPPRESSED_COUNT"] == "12")
    #expect(record[field: "INTERVAL_S"] == "2.500")
    #expect(
      record.message == "suppressed 12 authentication-failure messages for auth:10.0.0.2 "
        + "within 2.500 s")
  }
}

// MARK: - Against a real journald

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
      path: "/tmp/a=b.conf", error: "line 1\nline 2 with = sign\n", context: context)
    let line = #line + 1
    logger.logEvent(record)

    var entry: [String: JournalValue]?
    for _ in 0..<50 {
      let out = run(
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
      _ = run("rm -rf '\(dir)'")
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

// MARK: - Helpers (no Foundation processes or files)

private struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

private func monotonicNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

private func readFile(_ path: String) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var data: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { break }
    data.append(contentsOf: chunk[0..<n])
  }
  return String(decoding: data, as: UTF8.self)
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

/// Runs a shell command, returning its exit status and stdout.
private func run(_ command: String) -> (status: Int32, output: String) {
  guard let pipe = popen(command, "r") else { return (-1, "") }
  var data: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, pipe) }
    guard n > 0 else { break }
    data.append(contentsOf: chunk[0..<n])
  }
  let status = pclose(pipe)
  return ((status >> 8) & 0xFF, String(decoding: data, as: UTF8.self))
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

private struct TemporaryDirectory {
  let path: String
  init() throws {
    var template = Array("/tmp/ccagent-journal-test-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw TestFailure("mkdtemp failed")
    }
    path = String(cString: made)
  }
  func remove() { _ = run("rm -rf '\(path)'") }
}

/// A pipe whose read end is drained without blocking.
private final class TestPipe {
  let read: Int32
  let write: Int32
  init() throws {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw TestFailure("pipe failed") }
    _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
    read = fds[0]
    write = fds[1]
  }
  deinit {
    close(read)
    close(write)
  }
  func readAvailable() -> String {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
      guard n > 0 else { break }
      data.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
  }
}
