import Cluster

/// What the harnesses share: the cluster they pretend to be part of, its key, and the input.
public enum FuzzFixture {
  /// The key the signed seeds are made with (make_seeds.py's KEY).
  public static let key = Array("a-shared-secret-of-32-characters!".utf8)
  /// The key before a rotation, still accepted (make_seeds.py's PREVIOUS_KEY).
  public static let previousKey = Array("the-previous-secret-of-32-chars!!".utf8)
  public static let clusterID: UInt8 = 5

  /// Both nodes' addresses on every link (the LAN heartbeat over IPv6), two reths with an IPv4
  /// and an IPv6 address, session sync: every branch the screen and the conntrackd check take.
  public static let configurationText = """
    set chassis cluster cluster-id 5
    set chassis cluster heartbeat-interval 1000
    set chassis cluster heartbeat-threshold 3
    set chassis cluster node 0 control-address 10.0.0.1
    set chassis cluster node 1 control-address 10.0.0.2
    set chassis cluster node 0 fabric-address 10.0.1.1
    set chassis cluster node 1 fabric-address 10.0.1.2
    set chassis cluster node 0 lan-address 2001:db8::2
    set chassis cluster node 1 lan-address 2001:db8::3
    set chassis cluster redundancy-group 0 node 0 priority 200
    set chassis cluster redundancy-group 0 node 1 priority 100
    set chassis cluster redundancy-group 1 node 0 priority 150
    set chassis cluster redundancy-group 1 node 1 priority 100
    set chassis cluster redundancy-group 1 interface-monitor eth1 weight 255
    set chassis cluster reth-count 2
    set interfaces reth0 redundant-ether-options redundancy-group 1
    set interfaces eth14 gigether-options redundant-parent reth0
    set interfaces reth0 unit 0 family inet address 192.0.2.1/24
    set interfaces reth0 unit 0 family inet6 address 2001:db8:1::1/64
    set interfaces reth1 redundant-ether-options redundancy-group 1
    set interfaces eth15 gigether-options redundant-parent reth1
    set interfaces reth1 unit 0 family inet address 198.51.100.1/24
    set chassis cluster session-sync conntrackd config /etc/conntrackd/conntrackd.conf
    set chassis cluster session-sync commit-timeout 500

    """

  /// Parsed once; a fixture the parser refuses is the harness's bug, so it stops at once.
  public static let configuration: ClusterConfiguration = {
    let result = ConfigurationParser.parse(configurationText, file: "fuzz-fixture.conf")
    guard let configuration = result.configuration, result.errors.isEmpty else {
      fatalError("fuzz fixture rejected: \(result.errors.map(\.description))")
    }
    return configuration
  }()
}

/// libFuzzer's input as a buffer (empty for a nil pointer).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
  UnsafeBufferPointer(start: size == 0 ? nil : data, count: data == nil ? 0 : size)
}

/// Reads big-endian integers off the front of the input; zero once it runs out.
public struct FuzzBytes {
  public private(set) var rest: ArraySlice<UInt8>

  public init(_ bytes: some Collection<UInt8>) { rest = ArraySlice(bytes) }

  public mutating func byte() -> UInt8 { rest.popFirst() ?? 0 }

  public mutating func uint64() -> UInt64 {
    (0..<8).reduce(0) { value, _ in value << 8 | UInt64(byte()) }
  }
}
