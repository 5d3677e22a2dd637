import Cluster
import Testing

@Suite("metrics listen and snmp agentx socket statements")
struct MetricsAndAgentXConfigurationTests {
  static let minimal = ConfigurationParserTests.minimal

  static func parse(_ statement: String) -> ConfigurationParseResult {
    ConfigurationParser.parse(minimal + statement + "\n", file: "c.conf")
  }

  @Test func metricsAreOffUnlessConfigured() throws {
    let c = try #require(ConfigurationParser.parse(Self.minimal, file: "c.conf").configuration)
    #expect(c.metricsListen == nil)
  }

  @Test(arguments: [
    ("127.0.0.1:9737", "127.0.0.1", 9737, "127.0.0.1:9737"),
    ("[::1]:9737", "::1", 9737, "[::1]:9737"),
    ("[fd00::2]:1", "fd00::2", 1, "[fd00::2]:1"),
    ("0.0.0.0:65535", "0.0.0.0", 65535, "0.0.0.0:65535"),
  ])
  func metricsListenAddress(text: String, host: String, port: Int, shown: String) throws {
    let result = Self.parse("set chassis cluster metrics listen \(text)")
    #expect(result.errors.isEmpty, "\(result.errors)")
    let address = try #require(result.configuration?.metricsListen)
    #expect(address == ListenAddress(host: host, port: port))
    #expect(address.description == shown)
  }

  // Columns: `set chassis cluster metrics listen ` is 35 characters, the address starts at 36.
  static let badMetrics: [(String, String)] = [
    ("set chassis cluster metrics listen", "4:35: expected ADDRESS:PORT for metrics listen"),
    ("set chassis cluster metrics port 9737", "4:29: expected 'listen', got 'port'"),
    (
      "set chassis cluster metrics listen 127.0.0.1",
      "4:36: metrics listen: '127.0.0.1' needs a port: ADDRESS:PORT or [IPV6]:PORT"
    ),
    (
      "set chassis cluster metrics listen 127.0.0.1:0",
      "4:46: metrics listen: port '0' is not a number in 1..65535"
    ),
    (
      "set chassis cluster metrics listen 127.0.0.1:65536",
      "4:46: metrics listen: port '65536' is not a number in 1..65535"
    ),
    (
      "set chassis cluster metrics listen 127.0.0.1:http",
      "4:46: metrics listen: port 'http' is not a number in 1..65535"
    ),
    (
      "set chassis cluster metrics listen localhost:9737",
      "4:36: metrics listen: 'localhost' is not an IP address"
    ),
    (
      "set chassis cluster metrics listen ::1:9737",
      "4:36: metrics listen: write an IPv6 address in brackets: '[::1]:9737'"
    ),
    (
      "set chassis cluster metrics listen [::1:9737",
      "4:36: metrics listen: '[::1:9737' has no closing ']'"
    ),
    (
      "set chassis cluster metrics listen [::g]:9737",
      "4:37: metrics listen: '::g' is not an IPv6 address"
    ),
    (
      "set chassis cluster metrics listen [::1]9737",
      "4:41: metrics listen: expected ':PORT' after '[::1]'"
    ),
    (
      "set chassis cluster metrics listen [::1]:",
      "4:42: metrics listen: port '' is not a number in 1..65535"
    ),
    ("set chassis cluster metrics listen 127.0.0.1:9737 x", "4:51: unexpected 'x'"),
  ]

  @Test(arguments: [
    "/var/agentx/master", "unix:/run/agentx/master", "tcp:127.0.0.1:705", "tcp:10.0.0.1:7705",
    "tcp6:[::1]:705",
  ])
  func agentXSocket(text: String) throws {
    let result = Self.parse("set snmp agentx socket \(text)")
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.configuration?.agentXSocket == text)
  }

  // `set snmp agentx socket ` is 23 characters: the value starts at column 24.
  static let badAgentX: [(String, String)] = [
    ("set snmp agentx socket", "4:23: expected a path for agentx socket"),
    (
      "set snmp agentx socket agentx/master",
      "4:24: agentx socket must be an absolute path, unix:/PATH, tcp:ADDRESS:PORT or "
        + "tcp6:[ADDRESS]:PORT, got 'agentx/master'"
    ),
    (
      "set snmp agentx socket unix:run/master",
      "4:29: agentx socket unix: needs an absolute path, got 'run/master'"
    ),
    (
      "set snmp agentx socket tcp:127.0.0.1",
      "4:28: agentx socket: '127.0.0.1' needs a port: ADDRESS:PORT or [IPV6]:PORT"
    ),
    (
      "set snmp agentx socket tcp:127.0.0.1:70000",
      "4:38: agentx socket: port '70000' is not a number in 1..65535"
    ),
    (
      "set snmp agentx socket tcp:[::1]:705",
      "4:28: agentx socket tcp: needs an IPv4 address (tcp6:[ADDRESS]:PORT for IPv6)"
    ),
    (
      "set snmp agentx socket tcp6:127.0.0.1:705",
      "4:29: agentx socket tcp6: needs an IPv6 address ([ADDRESS]:PORT)"
    ),
    (
      "set snmp agentx socket tcp:snmpd.example:705",
      "4:28: agentx socket: 'snmpd.example' is not an IP address"
    ),
    ("set snmp agentx socket tcp:127.0.0.1:705 x", "4:42: unexpected 'x'"),
  ]

  @Test(arguments: badMetrics + badAgentX)
  func badStatementIsReportedWithPosition(statement: String, expected: String) {
    let result = Self.parse(statement)
    #expect(result.configuration == nil)
    #expect(result.errors.first?.description == "c.conf:" + expected)
  }

  @Test func metricsListenNeedsARestartAndIsNotInTheDigest() throws {
    let running = try #require(ConfigurationParser.parse(Self.minimal, file: "a").configuration)
    var reloaded = running
    reloaded.metricsListen = ListenAddress(host: "127.0.0.1", port: 9737)
    let differences = ReloadDifferences(running: running, reloaded: reloaded, keyChanged: false)
    #expect(differences.needRestart == ["metrics listen"])
    #expect(
      ReloadDifferences.applicable(running: running, reloaded: reloaded).metricsListen == nil)
    // Host-local, like the sockets: the nodes may listen on different addresses.
    #expect(ConfigurationDigest.digest(of: running) == ConfigurationDigest.digest(of: reloaded))
  }
}
