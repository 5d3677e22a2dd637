import Cluster
import ClusterTestSupport
import NIOPosix
import Testing

@testable import Agent

@Suite("The receive path holds the largest valid heartbeat (issue 13 item 18)")
struct TransportMaximumDatagramTests {
  @Test func maximumSizeHeartbeatArrivesWholeAndAuthenticated() async throws {
    var configuration = ClusterConfiguration(clusterID: 1)
    configuration.nodes = [
      NodeEndpoints(controlAddress: "127.0.0.1", fabricAddress: "127.0.0.1"),
      NodeEndpoints(controlAddress: "127.0.0.2", fabricAddress: "127.0.0.2"),
    ]
    configuration.controlPort = Int.random(in: 20_000...40_000)
    configuration.fabricPort = configuration.controlPort + 1
    let key = [UInt8](repeating: 0x42, count: 32)
    let codec = HeartbeatCodec(key: key)
    let inputs = DriverInputs()
    let screen = DatagramScreen(
      HeartbeatScreen(
        codec: codec, clusterID: 1,
        sources: PeerSources(configuration: configuration, localNode: 0)),
      inputs: inputs)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let transport = try await HeartbeatTransport.open(
      configuration: configuration, localNode: 0, group: group, screen: screen)
    let sender = try UDPSender(
      localAddress: "127.0.0.2", peerAddress: "127.0.0.1", peerPort: configuration.controlPort)
    var message = largestHeartbeat(clusterID: 1)
    message.bootEpoch = 7
    message.sequence = 1
    let payload = codec.encode(message)
    #expect(payload.count == HeartbeatCodec.maximumMessageSize)
    #expect(sender.send(payload))
    var received: HeartbeatMessage?
    for await input in inputs.network {
      if case .message(let message, _) = input {
        received = message
        break
      }
    }
    #expect(received == message)
    #expect(screen.takeRejections().isEmpty)
    sender.close()
    await transport.close()
    try await group.shutdownGracefully()
  }
}
