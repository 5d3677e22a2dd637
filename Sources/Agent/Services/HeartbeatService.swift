import ServiceLifecycle

/// The heartbeat transport and the driver's input: datagrams, link changes and ping results
/// reach the state machine in arrival order. On a graceful stop the agent first hands its
/// primary roles over (the peer takes over at once), then stops reading and closes the sockets.
struct HeartbeatService: Service {
  let driver: ClusterDriver
  let inputs: DriverInputs
  let transport: HeartbeatTransport

  func run() async throws {
    await withGracefulShutdownHandler {
      for await input in inputs.stream {
        switch input {
        case .datagram(let bytes, let link, let source):
          await driver.datagram(bytes, link: link, source: source)
        case .interface(let name, let state):
          await driver.interfaceChanged(name, state: state)
        case .pings(let results):
          await driver.pingResults(results)
        case .witnessDatagram(let bytes, let source, let fromWitness):
          await driver.witnessDatagram(bytes, source: source, fromWitness: fromWitness)
        case .sessionSync(let report):
          await driver.sessionSyncReported(report)
        case .rethRestored(let reth, let link, let addresses, let restores):
          await driver.rethRestored(reth, link: link, addresses: addresses, restores: restores)
        case .sessionCommitted(let commit):
          await driver.sessionCommitted(commit)
        }
      }
    } onGracefulShutdown: {
      inputs.continuation.finish()
    }
    await driver.leave()
    // The leaving heartbeat is queued on the event loop: let it reach the wire.
    try? await Task.sleep(for: .milliseconds(50))
    await driver.shutdown()
    await transport.close()
  }
}
