import ClusterTestSupport
import Testing

@testable import Cluster

/// RG1 has reth0 (member eth14 on both nodes) and is synced by conntrackd.
func sessionConfiguration(_ extra: String = "") -> String {
  pairConfiguration(
    """
    set chassis cluster node 0 control-address 10.0.0.1
    set chassis cluster node 1 control-address 10.0.0.2
    set chassis cluster node 0 fabric-address 10.0.1.1
    set chassis cluster node 1 fabric-address 10.0.1.2
    set chassis cluster reth-count 1
    set interfaces reth0 redundant-ether-options redundancy-group 1
    set interfaces eth14 gigether-options redundant-parent reth0
    set interfaces reth0 unit 0 family inet address 192.0.2.1/24
    set chassis cluster session-sync conntrackd config /etc/conntrackd/conntrackd.conf
    set chassis cluster session-sync commit-timeout 500
    set chassis cluster session-sync cold-sync-timeout 30
    \(extra)
    """)
}

@Suite struct SessionSyncConfigurationTests {
  @Test func statementsParseWithDefaults() throws {
    let text = baseConfiguration(
      "set chassis cluster session-sync conntrackd config /etc/conntrackd/conntrackd.conf\n")
    let result = ConfigurationParser.parse(text, file: "c.conf")
    let sync = try #require(result.configuration?.sessionSync, "\(result.diagnostics)")
    #expect(sync.conntrackdConfig == "/etc/conntrackd/conntrackd.conf")
    #expect(sync.commitTimeoutMilliseconds == 2000)
    #expect(sync.coldSyncTimeoutSeconds == 60)
    #expect(
      ConfigurationParser.parse(baseConfiguration(), file: "c").configuration?.sessionSync == nil)
  }

  @Test(arguments: [
    ("set chassis cluster session-sync commit-timeout 50", 49, "100..60000"),
    ("set chassis cluster session-sync conntrackd config etc/c.conf", 52, "absolute path"),
    ("set chassis cluster session-sync conntrackd file /c.conf", 45, "expected 'config'"),
    ("set chassis cluster session-sync replicate", 34, "unknown session-sync statement"),
    ("set chassis cluster session-sync cold-sync-timeout 0", 52, "1..3600"),
  ])
  func badStatementsAreReportedWithTheirColumn(line: String, column: Int, message: String) {
    let result = ConfigurationParser.parse(baseConfiguration(line), file: "c.conf")
    let errors = result.diagnostics.filter { $0.severity == .error }
    #expect(result.configuration == nil)
    #expect(errors.count == 1, "\(errors)")
    #expect(errors.first?.column == column, "\(errors)")
    #expect(errors.first?.message.contains(message) == true, "\(errors)")
  }

  @Test func aTimeoutWithoutTheConntrackdFileIsAnError() {
    let result = ConfigurationParser.parse(
      baseConfiguration("set chassis cluster session-sync commit-timeout 1000"), file: "c.conf")
    #expect(result.configuration == nil)
    #expect(
      result.diagnostics.contains {
        $0.message.contains("session-sync needs 'set chassis cluster session-sync conntrackd")
      })
  }

  @Test func aPeerDeclaredLostWithin100msIsWarnedAboutAtTheSessionSyncStatement() throws {
    func warnings(_ extra: String) -> [ConfigurationDiagnostic] {
      let text = baseConfiguration(
        extra + "\nset chassis cluster session-sync conntrackd config /etc/c.conf")
      let result = ConfigurationParser.parse(text, file: "c.conf")
      return result.diagnostics.filter {
        $0.severity == .warning && $0.message.contains("peer declared lost after")
      }
    }
    let fast = warnings("set chassis cluster heartbeat-interval 10")
    #expect(fast.count == 1, "\(fast)")
    #expect(fast.first?.line == 10 && fast.first?.column == 34, "\(fast)")
    #expect(fast.first?.message.contains("after 30 ms") == true, "\(fast)")
    #expect(
      warnings(
        "set chassis cluster heartbeat-interval 30\nset chassis cluster heartbeat-threshold 4"
      ).isEmpty)
    #expect(warnings("set chassis cluster heartbeat-interval 100").isEmpty)
    // No session sync, no warning.
    let plain = ConfigurationParser.parse(
      baseConfiguration("set chassis cluster heartbeat-interval 10"), file: "c.conf")
    #expect(!plain.diagnostics.contains { $0.message.contains("peer declared lost after") })
  }

  @Test func theDigestCoversTheBehaviourNotThePath() throws {
    func digest(_ text: String) throws -> UInt64 {
      ConfigurationDigest.digest(
        of: try #require(ConfigurationParser.parse(text, file: "c").configuration))
    }
    let plain = try digest(baseConfiguration())
    let synced = try digest(
      baseConfiguration("set chassis cluster session-sync conntrackd config /a.conf"))
    let elsewhere = try digest(
      baseConfiguration("set chassis cluster session-sync conntrackd config /b.conf"))
    #expect(plain != synced)
    #expect(synced == elsewhere)
  }
}

@Suite struct SessionSyncActionTests {
  /// Becoming primary: the commit first, then the reth, then flush/resync/bulk-send.
  @Test func theCommitComesBeforeTheRethAndTheResyncAfterIt() throws {
    var pair = MachinePair(configuration: sessionConfiguration())
    pair.start()
    pair.run(for: .seconds(1))
    #expect(pair.state(0, group: 1) == .primary)
    let batch = try #require(
      pair.batches[0].first {
        $0.contains { if case .dataPlane(.activate) = $0 { true } else { false } }
      })
    let kinds = batch.compactMap { action -> String? in
      switch action {
      case .sessionSync(let a): a.kind
      case .dataPlane(let d): d.kind
      default: nil
      }
    }
    #expect(kinds == ["commit", "activate", "resync"])
    #expect(batch.first == .sessionSync(.commit(groups: [1], timeoutMilliseconds: 500)))
    #expect(pair.sessionActions[0].contains(.resync(groups: [1], flush: true)))
    // The secondary asks the primary for its sessions.
    #expect(pair.sessionActions[1] == [.standBy(groups: [1])])
    #expect(
      SessionSyncAction.resync(groups: [1], flush: true).commands == [["-f"], ["-R"], ["-B"]])
    #expect(SessionSyncAction.standBy(groups: [1]).commands == [["-t"], ["-n"]])
  }

  @Test func aMonitorFailoverMovesTheRolesOnBothNodes() {
    var pair = MachinePair(configuration: sessionConfiguration())
    pair.start()
    pair.run(for: .seconds(1))
    completeColdSync(&pair, node: 1)
    pair.sessionActions = [[], []]
    pair.batches = [[], []]
    let actions = pair.nodes[0].interfaceChanged("eth1", state: .down, now: pair.now)
    pair.handle(actions, from: 0)
    #expect(pair.state(1, group: 1) == .primary)
    #expect(pair.sessionActions[0] == [.standBy(groups: [1])])
    #expect(
      pair.sessionActions[1] == [
        .commit(groups: [1], timeoutMilliseconds: 500), .resync(groups: [1], flush: true),
      ])
    // node0 took its reth down before it asked conntrackd to stand by.
    let kinds0 = pair.batches[0].flatMap { $0 }.compactMap { action -> String? in
      switch action {
      case .sessionSync(let a): a.kind
      case .dataPlane(let d): d.kind
      default: nil
      }
    }
    #expect(kinds0 == ["deactivate", "stand-by"])
  }

  /// With the external cache disabled (`injected`) it sends nothing: its kernel keeps the
  /// primary's sessions for the next takeover.
  @Test(arguments: [false, true]) func anIneligibleNodeOnlyShortensTimers(injected: Bool) {
    var pair = MachinePair(
      configuration: sessionConfiguration(),
      conntrackd: injected ? DirectInjectionTests.conntrackd : nil)
    pair.start()
    pair.run(for: .seconds(1))
    pair.sessionActions = [[], []]
    pair.cut = [.control]
    pair.run(for: .seconds(1))
    #expect(pair.state(1, group: 1) == .ineligible)
    #expect(pair.sessionActions[1] == (injected ? [] : [.fault(groups: [1])]))
    #expect(pair.sessionActions[0].isEmpty)
  }

  @Test func withoutSessionSyncThereAreNoActions() {
    var pair = MachinePair(
      configuration: pairConfiguration(
        """
        set chassis cluster reth-count 1
        set interfaces reth0 redundant-ether-options redundancy-group 1
        set interfaces eth14 gigether-options redundant-parent reth0
        """))
    pair.start()
    pair.run(for: .seconds(1))
    #expect(pair.sessionActions == [[], []])
    #expect(pair.nodes[0].snapshot(now: pair.now).statistics.sessionSync == nil)
  }

  @Test func theSimulationPrintsTheSessionSyncActions() {
    let text =
      sessionConfiguration()
      + "---\n+0s boot node0\n+0s boot node1\n+2s link down node0 eth1\n+1s status\n"
    guard case .success(let scenario) = ScenarioParser.parse(text, file: "t") else {
      Issue.record("scenario does not parse")
      return
    }
    let lines = Simulator.run(scenario).map(\.text)
    #expect(
      lines.contains {
        $0.contains("node1 session sync: commit for rg1: conntrackd -c (at most 500 ms)")
      })
    #expect(
      lines.contains {
        $0.contains("node0 session sync: stand-by for rg1: conntrackd -t; conntrackd -n")
      })
    // In a batch the commit line comes before the activation.
    let commit = lines.lastIndex { $0.contains("node1 session sync: commit") } ?? -1
    let activate = lines.lastIndex { $0.contains("node1 data plane: activate") } ?? -1
    #expect(commit >= 0 && commit < activate)
    #expect(lines.contains { $0.contains("cold sync completed") })
  }
}

/// Starts node0 alone, lets it become primary, then starts node1 (a node that joins).
private func joinLate(_ extra: String = "") -> MachinePair {
  var pair = MachinePair(configuration: sessionConfiguration(extra))
  pair.stopped = [1]
  pair.handle(pair.nodes[0].start(now: pair.now, interfaces: ["eth1": .up]), from: 0)
  pair.run(for: .seconds(1))
  pair.stopped = []
  pair.handle(pair.nodes[1].start(now: pair.now, interfaces: ["eth1": .up]), from: 1)
  pair.run(for: .milliseconds(300))
  return pair
}

private func completeColdSync(_ pair: inout MachinePair, node: Int) {
  pair.handle(pair.nodes[node].bulkSyncCompleted(now: pair.now), from: node)
  pair.run(for: .milliseconds(200))
}

@Suite struct ColdSyncTests {
  @Test func aJoiningNodeShowsCSAndPriorityZeroForRGsWithReths() throws {
    let pair = joinLate()
    #expect(pair.state(0, group: 1) == .primary)
    #expect(pair.state(1, group: 1) == .secondary)
    let row1 = try #require(rgRow(pair.nodes[1].status, group: 1, node: 1))
    #expect(row1.monitorFailures == ["CS"])
    #expect(row1.priority == 0)
    // RG0 has no reth: no CS there.
    #expect(rgRow(pair.nodes[1].status, group: 0, node: 1)?.monitorFailures == [])
    // The primary sees it too.
    #expect(rgRow(pair.nodes[0].status, group: 1, node: 1)?.monitorFailures == ["CS"])
    #expect(pair.emitted[1].contains(.sessionSync(.coldSyncStarted)))
    #expect(pair.nodes[1].snapshot(now: pair.now).statistics.sessionSync?.coldSync == true)
  }

  @Test func manualFailoverToAColdSyncingNodeIsRefusedUntilTheBulkSync() {
    var pair = joinLate()
    for asker in 0...1 {
      let result = pair.nodes[asker].requestManualFailover(group: 1, node: 1, now: pair.now)
      guard case .failure(let refusal) = result else {
        Issue.record("node\(asker) accepted a failover to a cold-syncing node")
        return
      }
      #expect(
        refusal.message == "node1 is not eligible for redundancy-group 1: cold sync in progress")
    }
    completeColdSync(&pair, node: 1)
    #expect(rgRow(pair.nodes[1].status, group: 1, node: 1)?.monitorFailures == [])
    #expect(
      pair.emitted[1].contains {
        if case .sessionSync(.coldSyncCompleted) = $0 { true } else { false }
      })
    pair.run(for: .seconds(2))  // hold-down (1 s) since the first election has no failover
    guard
      case .success(let actions) = pair.nodes[0].requestManualFailover(
        group: 1, node: 1, now: pair.now)
    else {
      Issue.record("refused after the bulk sync")
      return
    }
    pair.handle(actions, from: 0)
    pair.run(for: .milliseconds(300))
    #expect(pair.state(1, group: 1) == .primary)
  }

  @Test func preemptWaitsForTheBulkSync() {
    // node1 has the better priority for RG1 and preempt: it must not take RG1 while in CS.
    var pair = joinLate(
      """
      set chassis cluster redundancy-group 1 node 1 priority 200
      set chassis cluster redundancy-group 1 preempt
      """)
    pair.run(for: .seconds(5))
    #expect(pair.state(0, group: 1) == .primary)
    #expect(pair.state(1, group: 1) == .secondary)
    completeColdSync(&pair, node: 1)
    pair.run(for: .seconds(3))
    #expect(pair.state(1, group: 1) == .primary)
  }

  @Test func aColdSyncingNodeStillTakesOverWhenThePrimaryDies() {
    var pair = joinLate()
    pair.stopped = [0]
    pair.run(for: .seconds(1))
    #expect(pair.state(1, group: 1) == .primary)
    #expect(
      pair.emitted[1].contains {
        if case .sessionSync(.coldSyncAbandoned(let reason)) = $0 {
          reason.contains("rg1")
        } else {
          false
        }
      })
    #expect(pair.sessionActions[1].last == .resync(groups: [1], flush: true))
    #expect(pair.sessionActions[1].contains(.commit(groups: [1], timeoutMilliseconds: 500)))
  }

  @Test func coldSyncEndsAfterItsTimeout() {
    var pair = joinLate()
    pair.run(for: .seconds(29))
    #expect(rgRow(pair.nodes[1].status, group: 1, node: 1)?.monitorFailures == ["CS"])
    pair.run(for: .seconds(2))
    #expect(rgRow(pair.nodes[1].status, group: 1, node: 1)?.monitorFailures == [])
    #expect(pair.emitted[1].contains(.sessionSync(.coldSyncTimedOut(seconds: 30))))
  }

  @Test func bothNodesStartingElectByPriorityNotByColdSync() {
    var pair = MachinePair(
      configuration: sessionConfiguration(
        "set chassis cluster redundancy-group 1 node 1 priority 200"))
    pair.start()
    pair.run(for: .seconds(1))
    #expect(pair.state(1, group: 1) == .primary)
    #expect(pair.state(0, group: 1) == .secondary)
  }

  @Test func theBulkSyncIsFoundInConntrackdsCounters() {
    var pair = joinLate()
    var node1 = pair.nodes[1]
    func sample(received: UInt64, external: UInt64) -> SessionSyncReport {
      var s = ConntrackdStatistics()
      s.packetsReceived = received
      s.externalCache.active = external
      return .sample(s)
    }
    var now = pair.now
    var emitted: [ClusterEvent] = []
    for (received, external) in [(10, 0), (10, 0), (14, 40), (15, 50), (16, 50)]
      as [(UInt64, UInt64)]
    {
      now = now + .milliseconds(500)
      for action in node1.sessionSyncReported(
        sample(received: received, external: external), now: now)
      {
        if case .emit(let e) = action { emitted.append(e) }
      }
    }
    #expect(
      emitted.contains {
        if case .sessionSync(.coldSyncCompleted(_, let sessions)) = $0 {
          sessions == 50
        } else {
          false
        }
      }, "\(emitted)")
    #expect(!node1.failureCodes(of: 1).contains(.coldSync))
    pair.nodes[1] = node1
  }
}

@Suite struct SessionSyncHealthTests {
  private func healthEvents(_ actions: [ClusterAction]) -> [SessionSyncHealth] {
    actions.compactMap {
      if case .emit(.sessionSync(.healthChanged(_, let to, _))) = $0 { return to }
      return nil
    }
  }

  @Test func unreachableStalledLosingAndRecovered() {
    var pair = MachinePair(configuration: sessionConfiguration())
    pair.start()
    pair.run(for: .seconds(1))
    var node = pair.nodes[0]
    var t = pair.now
    var stats = ConntrackdStatistics()
    stats.packetsReceived = 1
    var seen: [SessionSyncHealth] = []
    func report(_ r: SessionSyncReport, after: Duration = .milliseconds(500)) {
      t = t + after
      // The peer stays up: its heartbeats keep arriving in this test.
      for link in [HeartbeatMessage.Link.control, .fabric] {
        if var beat = pair.sent[1].last {
          beat.link = link
          beat.sequence = beat.sequence &+ UInt64(t.milliseconds)
          _ = node.messageReceived(beat, now: t)
        }
      }
      seen += healthEvents(node.sessionSyncReported(r, now: t))
    }
    report(.sample(stats))  // first healthy sample: no news
    #expect(seen.isEmpty)
    report(.unreachable("exit status 1: can't connect"))
    #expect(seen == [.unreachable])
    for _ in 0..<8 { report(.sample(stats)) }  // 4 s without a message from the peer
    #expect(seen == [.unreachable, .healthy, .stalled])
    stats.packetsReceived += 1
    report(.sample(stats))
    stats.lostMessages = 3
    stats.packetsReceived += 1
    report(.sample(stats))
    #expect(seen == [.unreachable, .healthy, .stalled, .healthy, .losing])
    #expect(node.snapshot(now: t).statistics.sessionSync?.health == .losing)
  }

  @Test func aCommitIsRecordedForTheStatistics() {
    var pair = MachinePair(configuration: sessionConfiguration())
    pair.start()
    let commit = SessionCommit(
      groups: [1], sessions: 50, milliseconds: 2000, timedOut: true, error: "no answer")
    let actions = pair.nodes[1].sessionCommitted(commit, now: pair.now)
    #expect(actions == [.emit(.sessionSync(.committed(commit)))])
    let stats = pair.nodes[1].snapshot(now: pair.now).statistics.sessionSync
    #expect(stats?.lastCommit == commit)
    #expect(stats?.commitTimeouts == 1)
    let view = StatusView.statistics(pair.nodes[1].snapshot(now: pair.now))
    #expect(view.contains("Last commit: 50 sessions in 2000 ms for rg1 (timed out: no answer)"))
    #expect(view.contains("Session create"))
  }
}

@Suite struct ConntrackdTextTests {
  static let statistics = """
    cache internal:
    current active connections:\t           3
    connections created:\t\t           5\tfailed:\t           0
    connections updated:\t\t          11\tfailed:\t           0
    connections destroyed:\t\t           2\tfailed:\t           0

    cache external:
    current active connections:\t          50
    connections created:\t\t          52\tfailed:\t           0
    connections updated:\t\t           7\tfailed:\t           0
    connections destroyed:\t\t           2\tfailed:\t           0

    traffic processed:
                       0 Bytes                         0 Pckts

    UDP traffic (active device=sync0):
                     952 Bytes sent                   80 Bytes recv
                     115 Pckts sent                    5 Pckts recv
                       0 Error send                    1 Error recv

    message tracking:
                       4 Malformed msgs                    2 Lost msgs

    """

  @Test func generalStatisticsParse() throws {
    let s = try #require(ConntrackdStatistics.parse(Self.statistics))
    #expect(s.internalCache.active == 3)
    #expect(s.internalCache.created == 5)
    #expect(s.internalCache.updated == 11)
    #expect(s.externalCache.active == 50)
    #expect(s.externalCache.created == 52)
    #expect(s.externalCache.destroyed == 2)
    #expect((s.bytesSent, s.bytesReceived) == (952, 80))
    #expect((s.packetsSent, s.packetsReceived) == (115, 5))
    #expect((s.sendErrors, s.receiveErrors) == (0, 1))
    #expect((s.malformedMessages, s.lostMessages) == (4, 2))
    #expect(ConntrackdStatistics.parse("[ERROR] can't connect: is conntrackd running?") == nil)
  }

  static let good = """
    Sync {
    \tMode FTFW {
    \t}
    \tUDP {
    \t\tIPv4_address 10.0.1.1
    \t\tIPv4_Destination_Address 10.0.1.2 # the peer
    \t\tPort 3780
    \t\tInterface fabric0
    \t}
    }
    General {
    \tUNIX { Path /run/conntrackd.ctl }
    \tFilter From Userspace {
    \t\tProtocol Accept { TCP }
    \t\tAddress Ignore {
    \t\t\tIPv4_address 127.0.0.1
    \t\t\tIPv4_address 192.0.2.0/24
    \t\t}
    \t}
    }
    """

  private func cluster() throws -> ClusterConfiguration {
    try #require(ConfigurationParser.parse(sessionConfiguration(), file: "c").configuration)
  }

  @Test func aFileThatSyncsOverTheFabricAndIgnoresTheRethsIsClean() throws {
    #expect(
      ConntrackdConfigCheck.warnings(Self.good, file: "ct.conf", cluster: try cluster()) == [])
  }

  /// The socket ccagentd asks directly: General's UNIX Path only, not a Path elsewhere.
  @Test func theDaemonSocketIsGeneralsUnixPath() {
    #expect(ConntrackdConfigCheck.socketPath(Self.good) == "/run/conntrackd.ctl")
    let elsewhere = Self.good.replacingAll("UNIX { Path", with: "Other { Path")
    #expect(ConntrackdConfigCheck.socketPath(elsewhere) == nil)
    #expect(ConntrackdConfigCheck.socketPath("General {\n\tUNIX {\n\t\tPath\n\t}\n}") == nil)
  }

  @Test func wrongAddressesHexInterfaceNamesAndMissingIgnoresAreWarned() throws {
    let bad =
      Self.good.replacingAll("10.0.1.2", with: "10.0.0.2").replacingAll("fabric0", with: "fab0")
      .replacingAll("192.0.2.0/24", with: "198.51.100.1")
    let warnings = ConntrackdConfigCheck.warnings(bad, file: "ct.conf", cluster: try cluster())
    let text = warnings.map(\.description).joined(separator: "\n")
    #expect(warnings.count == 3, "\(text)")
    #expect(text.contains("ct.conf:6:1: warning: conntrackd syncs over 10.0.0.2"))
    #expect(text.contains("'Interface fab0': conntrackd 1.4.7's lexer"))
    #expect(text.contains("does not ignore reth0's address 192.0.2.1"))
  }
}

private func rgRow(_ status: ClusterStatus, group: Int, node: Int) -> NodeGroupStatus? {
  status.redundancyGroups.first { $0.id == group }?.nodes[node]
}

extension String {
  fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}

/// `DisableExternalCache On` in the conntrackd file: the peer's sessions are in the kernel as
/// they arrive, so no commit holds the reths back and the backup keeps its kernel timers.
@Suite struct DirectInjectionTests {
  static let conntrackd = """
    Sync {
    \tMode FTFW {
    \t\tDisableExternalCache On
    \t}
    \tUDP {
    \t\tIPv4_address 10.0.1.1
    \t}
    }
    """

  @Test func theConntrackdFileDecides() throws {
    #expect(ConntrackdConfigCheck.disablesExternalCache(Self.conntrackd))
    #expect(
      !ConntrackdConfigCheck.disablesExternalCache(
        "Sync {\n Mode FTFW {\n  DisableExternalCache Off\n }\n}"))
    // Outside a Sync Mode block it means nothing.
    #expect(!ConntrackdConfigCheck.disablesExternalCache("General {\n DisableExternalCache on\n}"))
    let parsed = try #require(
      ConfigurationParser.parse(sessionConfiguration(), file: "c.conf").configuration)
    #expect(parsed.sessionSync?.externalCache == true)
    let applied = ConntrackdConfigCheck.applying(Self.conntrackd, to: parsed)
    #expect(applied.sessionSync?.externalCache == false)
  }

  @Test func aTakeoverDoesNotCommitAndTheBackupOnlyAsksForTheSessions() {
    var pair = MachinePair(configuration: sessionConfiguration(), conntrackd: Self.conntrackd)
    pair.start()
    pair.run(for: .seconds(1))
    #expect(pair.state(0, group: 1) == .primary)
    #expect(pair.sessionActions[0] == [.resync(groups: [1], flush: true)])
    #expect(pair.sessionActions[1] == [.requestResync(groups: [1])])
    #expect(SessionSyncAction.requestResync(groups: [1]).commands == [["-n"]])
    completeColdSync(&pair, node: 1)
    pair.sessionActions = [[], []]
    pair.handle(pair.nodes[0].interfaceChanged("eth1", state: .down, now: pair.now), from: 0)
    #expect(pair.state(1, group: 1) == .primary)
    #expect(pair.sessionActions[0] == [.requestResync(groups: [1])])
    #expect(pair.sessionActions[1] == [.resync(groups: [1], flush: true)])
    let statistics = pair.nodes[1].snapshot(now: pair.now).statistics.sessionSync
    #expect(statistics?.externalCache == false)
    #expect(
      statistics.map(SessionSyncView.statistics)?.contains("injected into the kernel") == true)
  }

  /// conntrackd 1.4.7's `-s` with the external cache disabled (as captured in a namespace):
  /// "external inject:" with no active count where "cache external:" was.
  static var statistics: String {
    let lines = ConntrackdTextTests.statistics.split(
      separator: "\n", omittingEmptySubsequences: false)
    guard let at = lines.firstIndex(where: { $0.contains("cache external:") }) else { return "" }
    let inject = [
      "external inject:",
      "connections created:\t\t        2000\tfailed:\t           0",
      "connections updated:\t\t          17\tfailed:\t           0",
      "connections destroyed:\t\t           3\tfailed:\t           0",
    ]
    return (lines[..<at].map(String.init) + inject + lines[(at + 5)...].map(String.init))
      .joined(separator: "\n")
  }

  @Test func injectStatisticsParse() throws {
    let s = try #require(ConntrackdStatistics.parse(Self.statistics))
    #expect(s.injectsDirectly)
    #expect(s.externalCache.created == 2000)
    #expect(s.externalCache.updated == 17)
    #expect(s.externalCache.destroyed == 3)
    #expect(s.externalCache.active == 0)
    #expect(s.externalProgress == 2020)
    #expect((s.packetsSent, s.packetsReceived) == (115, 5))
    #expect(
      try #require(ConntrackdStatistics.parse(ConntrackdTextTests.statistics)).injectsDirectly
        == false)
  }
}
