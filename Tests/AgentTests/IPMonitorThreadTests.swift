import Cluster
import Logging
import Testing

@testable import Agent

@Suite(.enabled(if: runningAsRoot, "ICMP sockets and namespaces need root here"))
struct IPMonitorThreadLiveTests {
  /// Reads ping results until `done` holds for all read so far, or `bound` passes. Counts, not
  /// time windows: a loaded machine may run this task late, never the results out of order.
  private func collect(
    _ iterator: inout AsyncStream<DriverInput>.Iterator, _ inputs: DriverInputs,
    within bound: Duration = .seconds(10), until done: ([PingResult]) -> Bool
  ) async -> [PingResult] {
    let marker = "timeout-\(randomHex(8))"
    let timer = Task {
      try? await Task.sleep(for: bound)
      inputs.yield(.interface(marker, .up))
    }
    defer { timer.cancel() }
    var seen: [PingResult] = []
    while let input = await iterator.next() {
      switch input {
      case .pings(let results):
        seen += results
        if done(seen) { return seen }
      case .interface(let name, _) where name == marker:
        return seen
      default:
        continue
      }
    }
    return seen
  }

  private func replies(_ results: [PingResult], _ address: String) -> [Bool] {
    results.filter { $0.address == address }.map(\.replied)
  }

  @Test func oneThreadServesEveryAddress() async throws {
    try await withTestNamespaceAsync { namespace in
      ipIn(namespace, "link", "set", "lo", "up")
      let interval = Duration.milliseconds(200)
      let thread = try IPMonitorThread(targets: [
        PingTarget(address: "127.0.0.1", sourceAddress: nil, interval: interval),
        PingTarget(address: "127.0.0.2", sourceAddress: "127.0.0.1", interval: interval),
        PingTarget(address: "192.0.2.1", sourceAddress: nil, interval: interval),
      ])
      let inputs = DriverInputs()
      var iterator = inputs.stream.makeAsyncIterator()
      // The ping thread inherits the namespace of the thread that starts it.
      try runOnThread(inNamespace: namespace) {
        thread.start(inputs: inputs, logger: Logger(label: "test"))
      }
      defer { thread.stop() }
      let addresses = ["127.0.0.1", "127.0.0.2", "192.0.2.1"]
      let first = await collect(&iterator, inputs) { seen in
        addresses.allSatisfy { replies(seen, $0).count >= 4 }
      }
      #expect(replies(first, "127.0.0.1").count >= 4)
      #expect(replies(first, "127.0.0.1").allSatisfy { $0 })
      #expect(replies(first, "127.0.0.2").count >= 4)
      #expect(replies(first, "127.0.0.2").allSatisfy { $0 })
      // No route: each request fails at once (ENETUNREACH).
      #expect(replies(first, "192.0.2.1").count >= 4)
      #expect(replies(first, "192.0.2.1").allSatisfy { !$0 })

      // A reload: once the new address is pinged, the old ones never are again.
      thread.update(targets: [
        PingTarget(address: "127.0.0.3", sourceAddress: nil, interval: interval)
      ])
      let second = await collect(&iterator, inputs) { replies($0, "127.0.0.3").count >= 3 }
      let sinceNew = second.drop { $0.address != "127.0.0.3" }
      #expect(sinceNew.count >= 3)
      #expect(sinceNew.allSatisfy { $0.address == "127.0.0.3" && $0.replied })

      // Nobody answers: one failure per interval, reported when the next request goes out.
      sysctlIn(namespace, "net.ipv4.icmp_echo_ignore_all=1")
      let third = await collect(&iterator, inputs) { seen in
        replies(seen, "127.0.0.3").reversed().prefix { !$0 }.count >= 3
      }
      #expect(replies(third, "127.0.0.3").reversed().prefix { !$0 }.count >= 3)
      #expect(Set(third.map(\.address)) == ["127.0.0.3"])
    }
  }
}
