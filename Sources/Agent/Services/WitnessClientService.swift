import Logging
import ServiceLifecycle

/// The witness client (DESIGN §12): its receiving thread from start to a joined stop. The
/// driver sends the core's requests through the same client.
struct WitnessClientService: Service {
  let client: WitnessClient
  let inputs: DriverInputs
  let logger: Logger

  func run() async throws {
    client.start(inputs: inputs, logger: logger)
    try? await gracefulShutdown()
    client.stop()
  }
}
