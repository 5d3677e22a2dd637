import Crypto

/// Encodes and decodes witness requests and replies (DESIGN §12) with the cluster's
/// HMAC-SHA256 key, as heartbeats are. Pure; decoding never traps.
///
/// Layout, big-endian:
///
///     0  magic "CCWT"     4  version (1)     5  flags     6  kind (1 request, 2 reply)
///     7  cluster id       8  node id (0 or 1: the sender of a request, the addressee of a reply)
///     request (38 bytes)
///       9  boot epoch u64   17  sequence u64   25  echoed nonce u64
///      33  lease ms u32     37  RG0 priority u8
///       flags: bit0 authenticated, bit1 claim, bit2 primary
///     reply (33 bytes)
///       9  echoed epoch u64 17  echoed sequence u64   25  nonce u64
///       flags: bit0 authenticated, bit1 recorded, bit2 holder present, bit3 holder node,
///              bit4 confirmed
///     HMAC-SHA256 of everything before it (32 bytes), when authenticated
///
/// The kind byte keeps a request from being reflected as a reply; the MAC covers it.
public struct WitnessCodec: Sendable {
  public static let magic: [UInt8] = Array("CCWT".utf8)
  public static let version: UInt8 = 1
  static let requestSize = 38
  static let replySize = 33
  static let macSize = 32
  /// Receivers read at least this many bytes of a datagram.
  public static let maximumMessageSize = requestSize + macSize

  enum Kind: UInt8 {
    case request = 1
    case reply = 2
  }

  private let key: [UInt8]?

  /// nil: messages are neither signed nor accepted signed.
  public init(key: [UInt8]?) {
    self.key = key
  }

  public func encode(_ r: WitnessRequest) -> [UInt8] {
    var flags: UInt8 = key == nil ? 0 : 1
    if r.claim { flags |= 2 }
    if r.primary { flags |= 4 }
    var out = header(flags: flags, kind: .request, clusterID: r.clusterID, nodeID: r.nodeID)
    out.appendBigEndian(r.bootEpoch)
    out.appendBigEndian(r.sequence)
    out.appendBigEndian(r.echoedNonce)
    out.appendBigEndian(r.leaseMilliseconds)
    out.append(r.priority)
    return sign(out)
  }

  public func encode(_ r: WitnessReply) -> [UInt8] {
    var flags: UInt8 = key == nil ? 0 : 1
    if r.recorded { flags |= 2 }
    if let holder = r.holder { flags |= 4 | (holder & 1) << 3 }
    if r.confirmed { flags |= 16 }
    var out = header(flags: flags, kind: .reply, clusterID: r.clusterID, nodeID: r.nodeID)
    out.appendBigEndian(r.echoedEpoch)
    out.appendBigEndian(r.echoedSequence)
    out.appendBigEndian(r.nonce)
    return sign(out)
  }

  public func decodeRequest(_ bytes: some Collection<UInt8>) throws(WitnessDecodingError)
    -> WitnessRequest
  {
    var (reader, flags, clusterID, nodeID) = try open(Array(bytes), kind: .request, flagMask: 7)
    do throws(HeartbeatDecodingError) {
      let request = WitnessRequest(
        clusterID: clusterID, nodeID: nodeID, bootEpoch: try reader.uint64(),
        sequence: try reader.uint64(), echoedNonce: try reader.uint64(),
        leaseMilliseconds: try reader.uint32(), claim: flags & 2 != 0, primary: flags & 4 != 0,
        priority: try reader.uint8())
      guard reader.remaining == 0 else { throw .malformed("\(reader.remaining) trailing bytes") }
      return request
    } catch {
      throw WitnessDecodingError(error)
    }
  }

  public func decodeReply(_ bytes: some Collection<UInt8>, expectedClusterID: UInt8)
    throws(WitnessDecodingError) -> WitnessReply
  {
    var (reader, flags, clusterID, nodeID) = try open(Array(bytes), kind: .reply, flagMask: 31)
    guard clusterID == expectedClusterID else { throw .wrongClusterID(clusterID) }
    // A holder bit without the present bit would not survive a re-encode.
    guard flags & 4 != 0 || flags & 8 == 0 else { throw .malformed("holder bits \(flags)") }
    do throws(HeartbeatDecodingError) {
      let reply = WitnessReply(
        clusterID: clusterID, nodeID: nodeID, echoedEpoch: try reader.uint64(),
        echoedSequence: try reader.uint64(), nonce: try reader.uint64(), recorded: flags & 2 != 0,
        holder: flags & 4 != 0 ? flags >> 3 & 1 : nil, confirmed: flags & 16 != 0)
      guard reader.remaining == 0 else { throw .malformed("\(reader.remaining) trailing bytes") }
      return reply
    } catch {
      throw WitnessDecodingError(error)
    }
  }

  private func header(flags: UInt8, kind: Kind, clusterID: UInt8, nodeID: UInt8) -> [UInt8] {
    var out = Self.magic
    out.reserveCapacity(Self.requestSize + Self.macSize)
    out += [Self.version, flags, kind.rawValue, clusterID, nodeID & 1]
    return out
  }

  private func sign(_ body: [UInt8]) -> [UInt8] {
    guard let key else { return body }
    return body + Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key)))
  }

  /// Checks the header and the MAC, before anything else is parsed.
  private func open(_ bytes: [UInt8], kind: Kind, flagMask: UInt8) throws(WitnessDecodingError)
    -> (ByteReader, UInt8, UInt8, UInt8)
  {
    var reader = ByteReader(bytes)
    do throws(HeartbeatDecodingError) {
      guard try reader.take(Self.magic.count) == Self.magic[...] else { throw .badMagic }
      let version = try reader.uint8()
      guard version == Self.version else { throw .unsupportedVersion(version) }
      let flags = try reader.uint8()
      guard flags & ~flagMask == 0 else { throw .malformed("unknown flags \(flags)") }
      let kindByte = try reader.uint8()
      guard kindByte == kind.rawValue else { throw .malformed("kind \(kindByte)") }
      let clusterID = try reader.uint8()
      switch (key, flags & 1 == 1) {
      case (nil, false): break
      case (nil, true): throw .unexpectedAuthentication
      case (.some, false): throw .authenticationMissing
      case (let key?, true):
        guard bytes.count >= 9 + Self.macSize else { throw .truncated }
        let bodyEnd = bytes.count - Self.macSize
        guard
          HMAC<SHA256>.isValidAuthenticationCode(
            bytes[bodyEnd...], authenticating: bytes[..<bodyEnd], using: SymmetricKey(data: key))
        else { throw .badMAC }
        reader.end = bodyEnd
      }
      let nodeID = try reader.uint8()
      guard nodeID <= 1 else { throw .malformed("node id \(nodeID)") }
      return (reader, flags, clusterID, nodeID)
    } catch {
      throw WitnessDecodingError(error)
    }
  }
}

/// Why a witness datagram was dropped: the heartbeat codec's reasons, under the witness's name.
public struct WitnessDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
  public var reason: HeartbeatDecodingError

  init(_ reason: HeartbeatDecodingError) { self.reason = reason }

  static func malformed(_ why: String) -> WitnessDecodingError { .init(.malformed(why)) }
  static func wrongClusterID(_ id: UInt8) -> WitnessDecodingError { .init(.wrongClusterID(id)) }

  public var description: String {
    switch reason {
    case .badMagic: "not a witness message (bad magic)"
    case .unsupportedVersion(let v): "unsupported witness protocol version \(v)"
    default: reason.description
    }
  }
}
