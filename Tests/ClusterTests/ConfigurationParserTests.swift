import Cluster
import ClusterTestSupport
import Testing

@Suite("Configuration language (DESIGN §5)")
struct ConfigurationParserTests {
  static let seed = """
    set chassis cluster cluster-id 1
    set chassis cluster reth-count 2
    set chassis cluster heartbeat-interval 100
    set chassis cluster heartbeat-threshold 5
    set chassis cluster control-link-recovery
    set chassis cluster redundancy-group 0 node 0 priority 200
    set chassis cluster redundancy-group 0 node 1 priority 100
    set chassis cluster redundancy-group 0 hold-down-interval 600
    set chassis cluster redundancy-group 1 node 0 priority 150
    set chassis cluster redundancy-group 1 node 1 priority 100
    set chassis cluster redundancy-group 1 preempt
    set chassis cluster redundancy-group 1 preempt delay 10 limit 3 period 60
    set chassis cluster redundancy-group 1 hold-down-interval 0
    set chassis cluster redundancy-group 1 interface-monitor ge-0/0/14 weight 150
    set chassis cluster redundancy-group 1 interface-monitor ge-5/0/14 weight 150 node 1
    set chassis cluster redundancy-group 1 ip-monitoring global-weight 200
    set chassis cluster redundancy-group 1 ip-monitoring global-threshold 100
    set chassis cluster redundancy-group 1 ip-monitoring retry-interval 3
    set chassis cluster redundancy-group 1 ip-monitoring retry-count 10
    set chassis cluster redundancy-group 1 ip-monitoring family inet 10.1.1.10 weight 80
    set chassis cluster node 0 control-address 10.0.0.1
    set chassis cluster node 1 control-address 10.0.0.2
    set chassis cluster node 0 fabric-address fd00::1
    set chassis cluster node 1 fabric-address fd00::2
    set chassis cluster authentication-key-file "/etc/ccagent/key file"
    set chassis cluster notify-script /usr/local/bin/notify
    set snmp agentx socket /run/agentx/master
    set snmp community public authorization read-only
    set interfaces reth0 redundant-ether-options redundancy-group 1
    set interfaces reth1 redundant-ether-options redundancy-group 1
    set interfaces reth0 unit 0 family inet address 192.0.2.1/24
    set interfaces ge-0/0/14 gigether-options redundant-parent reth0
    set interfaces ge-5/0/14 gigether-options redundant-parent reth0
    set interfaces xe-0/0/15 ether-options redundant-parent reth1
    set interfaces fab0 fabric-options member-interfaces ge-0/0/2
    set interfaces fab1 fabric-options member-interfaces ge-5/0/2
    set security zones security-zone untrust interface reth0.0
    set system host-name fw1  # a comment
    # a full-line comment

    """

  @Test func seedConfigurationParses() throws {
    let result = ConfigurationParser.parse(Self.seed, file: "seed.conf")
    #expect(result.errors.isEmpty, "\(result.errors)")
    let c = try #require(result.configuration)
    #expect(c.clusterID == 1)
    #expect(c.heartbeatIntervalMilliseconds == 100)
    #expect(c.heartbeatThreshold == 5)
    #expect(c.controlLinkRecovery)
    let rg1 = try #require(c.redundancyGroups[1])
    #expect(rg1.priority == [150, 100])
    #expect(rg1.preempt?.delaySeconds == 10)
    #expect(rg1.preempt?.limit == 3)
    #expect(rg1.holdDownIntervalSeconds == 0)
    #expect(c.redundancyGroups[0]?.holdDownIntervalSeconds == 600)
    #expect(rg1.interfaceMonitors.count == 2)
    #expect(rg1.interfaceMonitors[1].node == 1)
    #expect(rg1.ipMonitoring?.globalWeight == 200)
    #expect(rg1.ipMonitoring?.retryCount == 10)
    #expect(rg1.ipMonitoring?.addresses == [IPMonitorAddress(address: "10.1.1.10", weight: 80)])
    #expect(c.redundantEthernets["reth0"]?.members == ["ge-0/0/14", "ge-5/0/14"])
    #expect(c.redundantEthernets["reth1"]?.members == ["xe-0/0/15"])
    #expect(c.fabricMembers == [["ge-0/0/2"], ["ge-5/0/2"]])
    #expect(c.nodes[1].fabricAddress == "fd00::2")
    #expect(c.authenticationKeyFile == "/etc/ccagent/key file")
    #expect(c.agentXSocket == "/run/agentx/master")
    // Foreign hierarchies are ignored with a notice that says where.
    let notices = result.notices.map(\.description)
    #expect(notices.contains { $0.hasPrefix("seed.conf:37:5: notice: ignoring 'set security") })
    #expect(notices.contains { $0.hasPrefix("seed.conf:38:5: notice: ignoring 'set system") })
    #expect(
      notices.contains { $0.hasPrefix("seed.conf:28:5: notice: ignoring 'set snmp community") })
    // The seed's reth address is the reth's own now (issue 14), no longer ignored.
    #expect(!notices.contains { $0.contains("ignoring 'interfaces reth0 unit") })
    #expect(c.redundantEthernets["reth0"]?.addresses.map(\.description) == ["192.0.2.1/24"])
  }

  static let minimal = """
    set chassis cluster cluster-id 3
    set chassis cluster redundancy-group 0 node 0 priority 2
    set chassis cluster redundancy-group 0 node 1 priority 1

    """

  /// (statement appended to a valid file, expected `line:column: message` of the first error).
  static let badStatements: [(String, String)] = [
    ("set chassis cluster cluster-id 0", "4:32: cluster-id 0 is out of range 1..255"),
    ("set chassis cluster cluster-id x", "4:32: cluster-id must be a number, got 'x'"),
    (
      "set chassis cluster heartbeat-interval 9",
      "4:40: heartbeat-interval (milliseconds) 9 is out of range 10..2000"
    ),
    (
      "set chassis cluster heartbeat-interval 2001",
      "4:40: heartbeat-interval (milliseconds) 2001 is out of range 10..2000"
    ),
    (
      "set chassis cluster heartbeat-threshold 9",
      "4:41: heartbeat-threshold 9 is out of range 3..8"
    ),
    (
      "set chassis cluster redundancy-group 129 node 0 priority 1",
      "4:38: redundancy-group 129 is out of range 0..128"
    ),
    (
      "set chassis cluster redundancy-group 0 node 2 priority 1",
      "4:45: node 2 is out of range 0..1"
    ),
    (
      "set chassis cluster redundancy-group 0 node 0 priority 255",
      "4:56: priority 255 is out of range 1..254"
    ),
    (
      "set chassis cluster redundancy-group 0 node 0 priority 0",
      "4:56: priority 0 is out of range 1..254"
    ),
    (
      "set chassis cluster redundancy-group 0 preempt",
      "4:40: preempt is not allowed on redundancy-group 0"
    ),
    (
      "set chassis cluster redundancy-group 0 hold-down-interval 299",
      "4:59: hold-down-interval of redundancy-group 0 must be 300..1800 seconds, got 299"
    ),
    (
      "set chassis cluster redundancy-group 0 hold-down-interval 1801",
      "4:59: hold-down-interval (seconds) 1801 is out of range 0..1800"
    ),
    (
      "set chassis cluster redundancy-group 0 interface-monitor eth0 weight 256",
      "4:70: weight 256 is out of range 0..255"
    ),
    (
      "set chassis cluster redundancy-group 0 interface-monitor eth0",
      "4:62: interface-monitor eth0 needs 'weight <0..255>'"
    ),
    (
      "set chassis cluster redundancy-group 0 preempt delay 0",
      "4:54: preempt delay (seconds) 0 is out of range 1..21600"
    ),
    (
      "set chassis cluster redundancy-group 0 ip-monitoring retry-count 4",
      "4:66: retry-count 4 is out of range 5..15"
    ),
    (
      "set chassis cluster redundancy-group 0 ip-monitoring retry-interval 31",
      "4:69: retry-interval (seconds) 31 is out of range 1..30"
    ),
    (
      "set chassis cluster redundancy-group 0 ip-monitoring family inet 10.0.0.256 weight 1",
      "4:66: ip-monitoring address '10.0.0.256' is not an IPv4 address"
    ),
    (
      "set chassis cluster redundancy-group 0 bogus",
      "4:40: unknown redundancy-group statement 'bogus'"
    ),
    ("set chassis cluster frobnicate 1", "4:21: unknown chassis cluster statement 'frobnicate'"),
    ("set chassis cluster cluster-id 1 extra", "4:34: unexpected 'extra'"),
    (
      "set chassis cluster node 0 control-address banana",
      "4:44: control-address 'banana' is not an IP address"
    ),
    (
      "set chassis cluster notify-script relative/path",
      "4:35: notify-script must be an absolute path, got 'relative/path'"
    ),
    (
      "delete chassis cluster cluster-id",
      "4:1: unsupported statement 'delete': only 'set' statements are accepted"
    ),
    (
      "set chassis cluster redundancy-group 1 node 0 priority 5",
      "4:38: redundancy-group 1 has no priority for node 1 ('set chassis cluster redundancy-group 1 node 1 priority <1..254>')"
    ),
    (
      "set interfaces reth0 redundant-ether-options redundancy-group 1",
      "4:16: reth0 is beyond 'reth-count 0'"
    ),
    (
      "set interfaces eth1 gigether-options redundant-parent bond0",
      "4:55: redundant-parent 'bond0' is not a reth name (reth0, reth1, …)"
    ),
    (
      "set interfaces eth1 fabric-options member-interfaces eth2",
      "4:16: fabric-options belongs on fab0 or fab1, not 'eth1'"
    ),
    (
      "set chassis cluster authentication-key-file \"/etc/unterminated",
      "4:45: unterminated quoted string"
    ),
    ("set snmp juniper-compatible-traps yes", "4:35: unexpected 'yes'"),
  ]

  @Test(arguments: badStatements)
  func badStatementIsReportedWithPosition(statement: String, expected: String) {
    let result = ConfigurationParser.parse(Self.minimal + statement + "\n", file: "c.conf")
    #expect(result.configuration == nil)
    #expect(result.errors.first?.description == "c.conf:" + expected)
  }

  @Test func missingEssentialsAreErrorsAtEndOfFile() {
    let result = ConfigurationParser.parse("# empty\n", file: "e.conf")
    #expect(
      result.errors.map(\.description).contains {
        $0.hasPrefix("e.conf:3:1: 'set chassis cluster cluster-id")
      })
    #expect(
      result.errors.map(\.description).contains {
        $0.hasPrefix("e.conf:3:1: redundancy-group 0 is not configured")
      })
  }

  @Test func everyErrorIsReportedNotOnlyTheFirst() {
    let text =
      Self.minimal
      + "set chassis cluster heartbeat-threshold 1\nset chassis cluster reth-count 999\n"
    let result = ConfigurationParser.parse(text, file: "m.conf")
    #expect(result.errors.count == 2)
  }

  @Test func juniperCompatibleTrapsAreOptIn() throws {
    let plain = try #require(ConfigurationParser.parse(Self.minimal, file: "p").configuration)
    #expect(!plain.juniperCompatibleTraps)
    let text = Self.minimal + "set snmp juniper-compatible-traps\n"
    let result = ConfigurationParser.parse(text, file: "j")
    #expect(result.configuration?.juniperCompatibleTraps == true)
    #expect(result.notices.isEmpty, "\(result.notices)")
  }

  @Test func laterSetReplacesEarlierValueAsInJunos() {
    let text = Self.minimal + "set chassis cluster cluster-id 9\n"
    #expect(ConfigurationParser.parse(text, file: "r.conf").configuration?.clusterID == 9)
  }

  @Test func digestIgnoresHostLocalPathsButNotSemantics() throws {
    let a = try #require(ConfigurationParser.parse(Self.minimal, file: "a").configuration)
    let b = try #require(
      ConfigurationParser.parse(Self.minimal + "set chassis cluster notify-script /x\n", file: "b")
        .configuration)
    let c = try #require(
      ConfigurationParser.parse(
        Self.minimal + "set chassis cluster heartbeat-threshold 4\n", file: "c"
      )
      .configuration)
    #expect(ConfigurationDigest.digest(of: a) == ConfigurationDigest.digest(of: b))
    #expect(ConfigurationDigest.digest(of: a) != ConfigurationDigest.digest(of: c))
  }

  @Test func randomInputNeverCrashesTheParser() {
    var rng = SplitMix64(seed: 42)
    let words =
      Self.seed.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
      + ["\"", "#", "-1", "99999999999999999999", "\u{0}", "é", "::", "1.2.3.4.5", "\t"]
    for _ in 0..<20_000 {
      var text = ""
      for _ in 0..<Int.random(in: 1...30, using: &rng) {
        text += words.randomElement(using: &rng)!
        text += Bool.random(using: &rng) ? " " : (Bool.random(using: &rng) ? "\n" : "")
      }
      let result = ConfigurationParser.parse(text, file: "f")
      #expect(result.configuration != nil || !result.errors.isEmpty)
    }
  }
}
