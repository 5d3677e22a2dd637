import Cluster
import ClusterTestSupport
import Testing

@Suite("Split-brain prevention statements (DESIGN §12)")
struct SplitBrainConfigurationTests {
  static let reth = """
    set chassis cluster reth-count 1
    set interfaces reth0 redundant-ether-options redundancy-group 1
    set interfaces eth1 gigether-options redundant-parent reth0
    set interfaces reth0 unit 0 family inet address 192.0.2.1/24
    """

  @Test func lanAddressesWitnessAndPortsParse() throws {
    let result = ConfigurationParser.parse(
      baseConfiguration(
        """
        set chassis cluster node 0 lan-address 198.51.100.2
        set chassis cluster node 1 lan-address 2001:db8::3
        set chassis cluster lan-port 7500
        set chassis cluster witness address 198.51.100.9 port 7999
        """), file: "c.conf")
    let c = try #require(result.configuration, "\(result.diagnostics)")
    #expect(c.nodes[0].lanAddress == "198.51.100.2" && c.nodes[1].lanAddress == "2001:db8::3")
    #expect(c.hasLANHeartbeat && c.lanPort == 7500)
    #expect(c.witness == WitnessEndpoint(address: "198.51.100.9", port: 7999))
    let defaults = ConfigurationParser.parse(
      baseConfiguration("set chassis cluster witness address 198.51.100.9"), file: "c.conf")
    #expect(defaults.configuration?.witness?.port == 7402)
    #expect(defaults.configuration?.lanPort == 7403)
    #expect(defaults.configuration?.hasLANHeartbeat == false)
  }

  @Test func badStatementsAreErrorsWithTheirPlace() {
    let cases: [(String, String)] = [
      ("set chassis cluster witness port 7402", "witness has a port but no address"),
      ("set chassis cluster witness address 198.51.100.9 port 0", "witness port"),
      ("set chassis cluster witness address nowhere", "witness address"),
      ("set chassis cluster witness colour blue", "unknown witness option 'colour'"),
      ("set chassis cluster witness", "witness needs 'address <ip>'"),
      ("set chassis cluster node 0 lan-address x", "lan-address"),
      ("set chassis cluster lan-port 70000", "lan-port"),
    ]
    for (line, message) in cases {
      let result = ConfigurationParser.parse(baseConfiguration(line), file: "c.conf")
      #expect(result.configuration == nil, "\(line)")
      #expect(result.errors.contains { $0.message.contains(message) }, "\(line): \(result.errors)")
    }
  }

  @Test func rethsWithNeitherWitnessNorLANHeartbeatAreWarnedAbout() {
    let bare = ConfigurationParser.parse(baseConfiguration(Self.reth), file: "c.conf")
    #expect(bare.configuration != nil)
    #expect(bare.warnings.contains { $0.message.contains("neither a witness nor a LAN heartbeat") })
    for extra in [
      "set chassis cluster witness address 198.51.100.9",
      "set chassis cluster node 0 lan-address 198.51.100.2\n"
        + "set chassis cluster node 1 lan-address 198.51.100.3",
    ] {
      let result = ConfigurationParser.parse(
        baseConfiguration(Self.reth + "\n" + extra), file: "c.conf")
      #expect(result.warnings.isEmpty, "\(extra): \(result.warnings)")
    }
    let half = ConfigurationParser.parse(
      baseConfiguration("set chassis cluster node 0 lan-address 198.51.100.2"), file: "c.conf")
    #expect(half.warnings.map(\.message).contains { $0.contains("only node 0 has a lan-address") })
    // Without reths there is no address to own twice: no warning.
    #expect(ConfigurationParser.parse(baseConfiguration(), file: "c.conf").warnings.isEmpty)
  }

  @Test func theWitnessIsPartOfTheDigestOnlyWhenSet() throws {
    let plain = try #require(
      ConfigurationParser.parse(baseConfiguration(), file: "c").configuration)
    let witnessed = try #require(
      ConfigurationParser.parse(
        baseConfiguration("set chassis cluster witness address 198.51.100.9"), file: "c"
      ).configuration)
    #expect(!ConfigurationDigest.canonicalStatements(of: plain).contains { $0.contains("witness") })
    #expect(ConfigurationDigest.digest(of: plain) != ConfigurationDigest.digest(of: witnessed))
  }
}
