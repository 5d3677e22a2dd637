import Testing

@testable import Cluster

@Suite struct ReloadDifferencesTests {
  private func configuration() -> ClusterConfiguration {
    var c = ClusterConfiguration(clusterID: 3)
    c.nodes = [
      NodeEndpoints(controlAddress: "10.0.0.1", fabricAddress: "10.0.1.1"),
      NodeEndpoints(controlAddress: "10.0.0.2", fabricAddress: "10.0.1.2"),
    ]
    return c
  }

  @Test func anUnchangedFileNeedsNothing() {
    let c = configuration()
    #expect(ReloadDifferences(running: c, reloaded: c, keyChanged: false).isEmpty)
  }

  @Test func restartOnlySettingsAreNamedAndKeepTheirRunningValue() {
    let running = configuration()
    var reloaded = running
    reloaded.nodes[1].fabricAddress = "10.9.1.2"
    reloaded.controlPort = 7500
    reloaded.agentXSocket = "tcp:127.0.0.1:705"
    reloaded.controlSocketPath = "/run/other.sock"
    reloaded.heartbeatThreshold = 5  // applied
    let differences = ReloadDifferences(running: running, reloaded: reloaded, keyChanged: false)
    #expect(
      differences.needRestart == [
        "node 1 fabric-address", "control-port", "control-socket", "snmp agentx socket",
      ])
    #expect(differences.warnings.isEmpty)
    let applied = ReloadDifferences.applicable(running: running, reloaded: reloaded)
    #expect(applied.nodes == running.nodes)
    #expect(applied.controlPort == running.controlPort)
    #expect(applied.agentXSocket == running.agentXSocket)
    #expect(applied.controlSocketPath == running.controlSocketPath)
    #expect(applied.heartbeatThreshold == 5)
  }

  /// A cluster-id or key change on one node separates the pair: warned, and the id is kept.
  @Test func theWitnessAndTheLANPortTakeARestart() {
    let running = configuration()
    var reloaded = running
    reloaded.witness = WitnessEndpoint(address: "198.51.100.9")
    reloaded.lanPort = 7409
    let differences = ReloadDifferences(running: running, reloaded: reloaded, keyChanged: false)
    #expect(differences.needRestart == ["lan-port", "witness"])
    let applied = ReloadDifferences.applicable(running: running, reloaded: reloaded)
    #expect(applied.witness == nil && applied.lanPort == running.lanPort)
  }

  @Test func clusterIDAndKeyChangesAreWarnedAbout() {
    let running = configuration()
    var reloaded = running
    reloaded.clusterID = 4
    let differences = ReloadDifferences(running: running, reloaded: reloaded, keyChanged: true)
    #expect(differences.needRestart == ["cluster-id"])
    #expect(differences.warnings.count == 2)
    #expect(differences.warnings[0].contains("cluster-id changed from 3 to 4"))
    #expect(differences.warnings[1].contains("authentication key changed"))
    #expect(ReloadDifferences.applicable(running: running, reloaded: reloaded).clusterID == 3)
  }
}
