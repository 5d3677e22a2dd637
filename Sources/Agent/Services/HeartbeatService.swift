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
      // Two readers, one per stream: a flood on the network stream never holds up a link
      // change or a ping result (the driver actor takes their calls in arrival order).
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await Self.feed(inputs.stream, to: driver) }
        group.addTask { await Self.feed(inputs.network, to: driver) }
      }
    } onGracefulShutdown: {
      inputs.finish()
    }
    await driver.leave()
    // The leaving heartbeat is queued on the event loop: let it reach the wire.
    try? await Task.sleep(for: .milliseconds(50))
    await driver.shutdown()
    await transport.close()
  }

  private static func feed(_ stream: AsyncStream<DriverInput>, to driver: ClusterDriver) async {
    for await input in stream {
      switch input {
      case .message(let message, let source):
        await driver.message(message, source: source)
      case .rejections:
        await driver.rejections()
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
  }
}
