import Cluster
import NIOPosix
import Testing

@testable import Agent

@Suite("The receive path holds the largest valid heartbeat (issue 13 item 18)")
struct TransportMaximumDatagramTests {
  @Test func maximumSizeDatagramArrivesWhole() async throws {
    var configuration = ClusterConfiguration(clusterID: 1)
    configuration.nodes = [
      NodeEndpoints(controlAddress: "127.0.0.1", fabricAddress: "127.0.0.1"),
      NodeEndpoints(controlAddress: "127.0.0.2", fabricAddress: "127.0.0.2"),
    ]
    configuration.controlPort = Int.random(in: 20_000...40_000)
    configuration.fabricPort = configuration.controlPort + 1
    let inputs = DriverInputs()
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let transport = try await HeartbeatTransport.open(
      configuration: configuration, localNode: 0, group: group, inputs: inputs)
    let sender = try UDPSender(
      localAddress: "127.0.0.2", peerAddress: "127.0.0.1", peerPort: configuration.controlPort)
    let payload = (0..<HeartbeatCodec.maximumMessageSize).map { UInt8(truncatingIfNeeded: $0) }
    #expect(sender.send(payload))
    var received: [UInt8]?
    for await input in inputs.stream {
      if case .datagram(let bytes, _, _) = input {
        received = bytes
        break
      }
    }
    #expect(received == payload, "received \(received?.count ?? -1) of \(payload.count) bytes")
    sender.close()
    await transport.close()
    try await group.shutdownGracefully()
  }
}
