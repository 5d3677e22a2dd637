/// The witness's keys, grouped by cluster: each cluster has its current key and, while its
/// nodes are being rekeyed one after the other, the previous one (DESIGN §12, README "Key
/// rotation"). Both nodes of one cluster must land in one arbiter slot whichever of its keys
/// signed their request, or during a rotation the witness would see two clusters of one node
/// each and grant both.
public struct WitnessKeyring: Sendable {
  /// A request that verified, the cluster (keyring index) whose key verified it, and the codec
  /// to answer with: the same key, the only one the requesting node is sure to accept.
  public struct Opened: Sendable {
    public var request: WitnessRequest
    public var cluster: Int
    public var codec: WitnessCodec
  }

  private let clusters: [[WitnessCodec]]

  /// One entry per cluster, each the cluster's keys (at least one).
  public init(clusters: [[[UInt8]]]) {
    self.clusters = clusters.map { keys in keys.map { WitnessCodec(key: $0) } }
  }

  /// nil when no key of any cluster verifies the datagram (or it is malformed).
  public func open(_ bytes: [UInt8]) -> Opened? {
    for (index, codecs) in clusters.enumerated() {
      for codec in codecs {
        if let request = try? codec.decodeRequest(bytes) {
          return Opened(request: request, cluster: index, codec: codec)
        }
      }
    }
    return nil
  }
}
