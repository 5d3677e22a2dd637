import ServiceLifecycle

/// The AgentX subagent and its thread. First in the group, so it stops last: the
/// notifications of a stopping agent's handover still reach snmpd.
struct SNMPService: Service {
  let mib: ClusterMIBService

  func run() async throws {
    mib.start()
    try? await gracefulShutdown()
    mib.stop()
  }
}
