import Cluster
import MIB
import Testing

@Suite("Benchmark (prints, does not assert times)")
struct BenchmarkTests {
  /// 128 RGs, 2 interface monitors each (256), 2 IP monitors on each of the first 16 RGs (32).
  static func largeSnapshot() -> (ClusterSnapshot, ClusterConfiguration) {
    var configuration = ClusterConfiguration(clusterID: 1)
    for id in 0..<128 {
      var group = RedundancyGroupConfiguration(id: id)
      group.priority = [200, 100]
      group.interfaceMonitors = [
        InterfaceMonitor(interface: "eth\(2 * id)", weight: 100),
        InterfaceMonitor(interface: "eth\(2 * id + 1)", weight: 100, node: id % 2),
      ]
      if id < 16 {
        var ip = IPMonitoring()
        ip.addresses = [
          IPMonitorAddress(address: "10.0.\(id).1", weight: 50),
          IPMonitorAddress(address: "2001:db8:\(id)::1", weight: 50),
        ]
        group.ipMonitoring = ip
      }
      configuration.redundancyGroups[id] = group
    }
    var machine = ClusterStateMachine(
      configuration: configuration, localNode: 0, bootEpoch: 1, configDigest: 1)
    _ = machine.start(now: .zero, interfaces: ["eth0": .down, "eth3": .absent])
    _ = machine.tick(now: .milliseconds(5_000))
    return (machine.snapshot(now: .milliseconds(5_000)), configuration)
  }

  @Test func buildAndGetNext() throws {
    let (snapshot, configuration) = Self.largeSnapshot()
    #expect(snapshot.status.redundancyGroups.count == 128)
    #expect(snapshot.interfaceMonitors.count == 256)
    #expect(snapshot.ipMonitors.count == 32)
    let context = MIBContext(configuration: configuration, agentStart: .zero)
    let clock = ContinuousClock()

    let builds = 20
    var view = MIBView(snapshot: snapshot, context: context)
    let buildTime = clock.measure {
      for _ in 0..<builds { view = MIBView(snapshot: snapshot, context: context) }
    }
    // 18 scalars + 128 × 7 + 256 × 9 + 256 × 5 + 32 × 6.
    #expect(view.count == 22 + 896 + 2304 + 1280 + 192 + 15 + 12)

    // A walk from the root that wraps at the end: GETNEXT as snmpwalk issues it.
    let calls = 10_000
    var cursor = MIBDefinition.root
    var found = 0
    let walkTime = clock.measure {
      for _ in 0..<calls {
        if let (oid, _) = view.getNext(cursor) {
          cursor = oid
          found += 1
        } else {
          cursor = MIBDefinition.root
        }
      }
    }
    #expect(found > calls / 2)
    print(
      "MIB benchmark: \(view.count) instances; build \(Self.format(buildTime / builds)) per view; "
        + "\(calls) getNext in \(Self.format(walkTime)) "
        + "(\(Self.format(walkTime / calls)) each)")
  }

  static func format(_ duration: Duration) -> String {
    let nanoseconds = duration.nanosecondsClamped
    if nanoseconds >= 1_000_000 {
      return "\(Double(nanoseconds / 1_000) / 1_000) ms"
    }
    return "\(Double(nanoseconds / 10) / 100) µs"
  }
}
