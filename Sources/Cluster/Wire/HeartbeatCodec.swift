import Crypto

/// Encodes and decodes heartbeats and probes (DESIGN §4), optionally authenticated with
/// HMAC-SHA256. Pure: bytes in, bytes out; decoding never traps, whatever it is fed.
///
/// Layout, big-endian:
///
///     header (55 bytes)
///       0  magic "CCHB"        4  version (2)
///       5  flags (bit0: authenticated, bit1: leaving — the sender is stopping and gives up)
///       6  link                7  cluster id         8  node id (0 or 1)
///       9  boot epoch u64     17  sequence u64      25  config digest u64
///      33  counter generation u32
///      37  nonce u64: the sender's challenge of this session
///      45  echoed nonce u64: the latest nonce the sender received from its peer (0: none)
///      53  group count u16 (≤ 129)
///     per group (7 bytes + three varints)
///       id u8, configured priority u8, effective priority u8, weight i16,
///       status u8: bits 0–2 state, bit3 healthy, bit4 manual target present,
///                  bit5 manual target node, bit6 manual author node, bit7 zero,
///       failure codes u8 (bits not yet defined are kept, not rejected),
///       failover count uvarint, manual generation uvarint, preempt-reset generation uvarint
///     HMAC-SHA256 of everything before it (32 bytes), when authenticated
///
/// The group record is packed, not fixed-size, so that 129 groups fit one datagram: fixed
/// 32-bit counters would take 18 bytes a group (2.4 KB in all). Varints are LEB128 of a UInt32,
/// at most 5 bytes, and must be minimal so that every accepted message re-encodes to itself.
/// Node ids on the wire (manual target and author) are 0 or 1; `encode` sends their low bit.
public struct HeartbeatCodec: Sendable {
  public static let magic: [UInt8] = Array("CCHB".utf8)
  /// 2: leaving flag, nonce and echoed nonce (issue 13 items 3 and 12).
  public static let version: UInt8 = 2
  /// RG 0–128.
  public static let maximumGroupCount = 129
  static let headerSize = 55
  static let macSize = 32
  static let minimumGroupSize = 9
  /// The longest group record: 7 fixed bytes and three 5-byte varints.
  static let maximumGroupSize = 22
  /// The largest valid message: 129 groups with counters beyond 2^28, signed. Receivers must
  /// read at least this many bytes of a datagram.
  public static let maximumMessageSize = headerSize + maximumGroupCount * maximumGroupSize + macSize

  /// Kept as bytes, not a `SymmetricKey`, which is not `Sendable`.
  private let key: [UInt8]?
  /// Accepted as well, never used to sign: the peer may still send with it during a rekey.
  private let previousKey: [UInt8]?

  /// nil: messages are neither signed nor accepted signed.
  public init(key: [UInt8]?, previousKey: [UInt8]? = nil) {
    self.key = key
    self.previousKey = key == nil ? nil : previousKey
  }

  public func encode(_ m: HeartbeatMessage) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(Self.headerSize + m.groups.count * 17 + Self.macSize)
    out += Self.magic
    out.append(Self.version)
    out.append((key == nil ? 0 : 1) | (m.leaving ? 2 : 0))
    out.append(m.link.rawValue)
    out.append(m.clusterID)
    out.append(m.nodeID)
    out.appendBigEndian(m.bootEpoch)
    out.appendBigEndian(m.sequence)
    out.appendBigEndian(m.configDigest)
    out.appendBigEndian(m.counterGeneration)
    out.appendBigEndian(m.nonce)
    out.appendBigEndian(m.echoedNonce)
    // More than UInt16.max groups cannot be announced; the peer would reject > 129 anyway.
    out.appendBigEndian(UInt16(clamping: m.groups.count))
    for g in m.groups.prefix(Int(UInt16.max)) {
      out.append(g.id)
      out.append(g.configuredPriority)
      out.append(g.effectivePriority)
      out.appendBigEndian(UInt16(bitPattern: g.weight))
      out.append(Self.statusByte(g))
      out.append(g.failureCodes.rawValue)
      out.appendVarint(g.failoverCount)
      out.appendVarint(g.manualGeneration)
      out.appendVarint(g.preemptGeneration)
    }
    if let key {
      let mac = HMAC<SHA256>.authenticationCode(for: out, using: SymmetricKey(data: key))
      out += Array(mac)
    }
    return out
  }

  public func decode(
    _ bytes: some Collection<UInt8>, expectedClusterID: UInt8
  ) throws(HeartbeatDecodingError) -> HeartbeatMessage {
    let bytes = Array(bytes)
    var reader = ByteReader(bytes)
    guard try reader.take(Self.magic.count) == Self.magic[...] else { throw .badMagic }
    let version = try reader.uint8()
    guard version == Self.version else { throw .unsupportedVersion(version) }
    let flags = try reader.uint8()
    guard flags & ~3 == 0 else { throw .malformed("unknown flags \(flags)") }
    let linkByte = try reader.uint8()
    guard let link = HeartbeatMessage.Link(rawValue: linkByte) else {
      throw .malformed("unknown link \(linkByte)")
    }
    let clusterID = try reader.uint8()
    guard clusterID == expectedClusterID else { throw .wrongClusterID(clusterID) }

    // Authenticate before parsing the body, so forged content never reaches the group parser.
    switch (key, flags & 1 == 1) {
    case (nil, false): break
    case (nil, true): throw .unexpectedAuthentication
    case (.some, false): throw .authenticationMissing
    case (let key?, true):
      guard bytes.count >= Self.headerSize + Self.macSize else { throw .truncated }
      let bodyEnd = bytes.count - Self.macSize
      func valid(_ key: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(
          bytes[bodyEnd...], authenticating: bytes[..<bodyEnd], using: SymmetricKey(data: key))
      }
      guard valid(key) || previousKey.map(valid) == true else { throw .badMAC }
      reader.end = bodyEnd
    }

    let nodeID = try reader.uint8()
    guard nodeID <= 1 else { throw .malformed("node id \(nodeID)") }
    let bootEpoch = try reader.uint64()
    let sequence = try reader.uint64()
    let configDigest = try reader.uint64()
    let counterGeneration = try reader.uint32()
    let nonce = try reader.uint64()
    let echoedNonce = try reader.uint64()
    let count = Int(try reader.uint16())
    guard count <= Self.maximumGroupCount else { throw .malformed("\(count) groups") }
    guard reader.remaining >= count * Self.minimumGroupSize else { throw .truncated }

    var groups: [GroupAnnouncement] = []
    groups.reserveCapacity(count)
    // One bit per possible id: a Set hashed every id of every message (129 per heartbeat).
    var seen = SIMD4<UInt64>()
    for _ in 0..<count {
      let group = try Self.decodeGroup(&reader)
      let word = Int(group.id >> 6)
      let bit = UInt64(1) << (group.id & 63)
      guard seen[word] & bit == 0 else { throw .malformed("duplicate group \(group.id)") }
      seen[word] |= bit
      groups.append(group)
    }
    guard reader.remaining == 0 else { throw .malformed("\(reader.remaining) trailing bytes") }
    return HeartbeatMessage(
      link: link, clusterID: clusterID, nodeID: nodeID, bootEpoch: bootEpoch, sequence: sequence,
      configDigest: configDigest, counterGeneration: counterGeneration, nonce: nonce,
      echoedNonce: echoedNonce, leaving: flags & 2 != 0, groups: groups)
  }

  /// The boot epoch and sequence of a datagram that looks like a heartbeat, read from the
  /// header without authenticating it (see `HeartbeatScreen` for why that is safe).
  public static func sequenceFields(_ bytes: [UInt8]) -> (epoch: UInt64, sequence: UInt64)? {
    guard bytes.count >= headerSize, bytes.starts(with: magic) else { return nil }
    func uint64(at offset: Int) -> UInt64 {
      bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }
    return (uint64(at: 9), uint64(at: 17))
  }

  /// 256 bits, what `ccctl generate-key` writes: HMAC-SHA256 gains nothing from more, and a
  /// shorter key is a password someone chose.
  public static let minimumKeySize = 32

  /// The key in an `authentication-key-file`: its bytes, less trailing whitespace and newlines,
  /// so that `echo secret > file` and raw random bytes both work (a raw key ending in such a
  /// byte loses it, consistently on both nodes).
  public static func loadKey(fileContents: [UInt8]) throws -> [UInt8] {
    var key = fileContents[...]
    while let last = key.last, isTrimmedFromKeys(last) {
      key = key.dropLast()
    }
    guard key.count >= minimumKeySize else {
      throw HeartbeatKeyError.tooShort(byteCount: key.count, minimum: minimumKeySize)
    }
    return Array(key)
  }

  /// The bytes `loadKey` strips from the end of a key file.
  public static func isTrimmedFromKeys(_ byte: UInt8) -> Bool {
    [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(byte)
  }

  private static func statusByte(_ g: GroupAnnouncement) -> UInt8 {
    var b = g.state.rawValue & 0b111
    if g.healthy { b |= 1 << 3 }
    if let target = g.manualTarget { b |= 1 << 4 | (target & 1) << 5 }
    b |= (g.manualAuthor & 1) << 6
    return b
  }

  private static func decodeGroup(
    _ reader: inout ByteReader
  ) throws(HeartbeatDecodingError) -> GroupAnnouncement {
    let id = try reader.uint8()
    let configuredPriority = try reader.uint8()
    let effectivePriority = try reader.uint8()
    let weight = Int16(bitPattern: try reader.uint16())
    let status = try reader.uint8()
    let failureCodes = FailureCodes(rawValue: try reader.uint8())
    let failoverCount = try reader.varint()
    let manualGeneration = try reader.varint()
    let preemptGeneration = try reader.varint()

    guard let state = RedundancyGroupState(rawValue: status & 0b111) else {
      throw .malformed("group \(id): unknown state \(status & 0b111)")
    }
    let hasTarget = status & 1 << 4 != 0
    // A target bit without the present bit, or bit 7, would not survive a re-encode.
    guard status & 1 << 7 == 0, hasTarget || status & 1 << 5 == 0 else {
      throw .malformed("group \(id): unknown status bits \(status)")
    }
    return GroupAnnouncement(
      id: id, configuredPriority: configuredPriority, effectivePriority: effectivePriority,
      weight: weight, state: state, healthy: status & 1 << 3 != 0, failureCodes: failureCodes,
      failoverCount: failoverCount, manualTarget: hasTarget ? status >> 5 & 1 : nil,
      manualGeneration: manualGeneration, manualAuthor: status >> 6 & 1,
      preemptGeneration: preemptGeneration)
  }
}

/// Why a datagram was dropped. Each case is counted and logged by the receiver.
public enum HeartbeatDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
  case truncated
  case badMagic
  case unsupportedVersion(UInt8)
  case wrongClusterID(UInt8)
  /// A key is configured but the message carries no MAC.
  case authenticationMissing
  /// No key is configured but the message carries a MAC.
  case unexpectedAuthentication
  case badMAC
  case malformed(String)

  public var description: String {
    switch self {
    case .truncated: "truncated message"
    case .badMagic: "not a heartbeat (bad magic)"
    case .unsupportedVersion(let v): "unsupported heartbeat version \(v)"
    case .wrongClusterID(let id): "message for cluster id \(id)"
    case .authenticationMissing: "unauthenticated message (a key is configured)"
    case .unexpectedAuthentication: "authenticated message (no key is configured)"
    case .badMAC: "bad message authentication code"
    case .malformed(let why): "malformed message: \(why)"
    }
  }
}

public enum HeartbeatKeyError: Error, Sendable, Hashable, CustomStringConvertible {
  case tooShort(byteCount: Int, minimum: Int)

  public var description: String {
    switch self {
    case .tooShort(let n, let minimum):
      "authentication key is \(n) bytes long; at least \(minimum) are required"
    }
  }
}

/// Reads big-endian fields from `bytes[offset..<end]`; every read checks the bounds first.
/// Shared with the witness codec.
struct ByteReader {
  let bytes: [UInt8]
  private(set) var offset = 0
  /// Lowered to exclude a trailing MAC.
  var end: Int

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.end = bytes.count
  }

  var remaining: Int { end - offset }

  mutating func take(_ n: Int) throws(HeartbeatDecodingError) -> ArraySlice<UInt8> {
    guard n >= 0, remaining >= n else { throw .truncated }
    defer { offset += n }
    return bytes[offset..<offset + n]
  }

  mutating func uint8() throws(HeartbeatDecodingError) -> UInt8 {
    guard remaining >= 1 else { throw .truncated }
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func uint16() throws(HeartbeatDecodingError) -> UInt16 { try integer() }
  mutating func uint32() throws(HeartbeatDecodingError) -> UInt32 { try integer() }
  mutating func uint64() throws(HeartbeatDecodingError) -> UInt64 { try integer() }

  private mutating func integer<T: FixedWidthInteger & UnsignedInteger>()
    throws(HeartbeatDecodingError) -> T
  {
    var v: T = 0
    for b in try take(T.bitWidth / 8) { v = v << 8 | T(b) }
    return v
  }

  /// A minimal LEB128 UInt32: at most 5 bytes, no redundant trailing zero groups.
  mutating func varint() throws(HeartbeatDecodingError) -> UInt32 {
    var v: UInt64 = 0
    for i in 0..<5 {
      let b = try uint8()
      v |= UInt64(b & 0x7F) << (7 * i)
      if b & 0x80 == 0 {
        guard i == 0 || b != 0 else { throw .malformed("non-minimal varint") }
        guard let result = UInt32(exactly: v) else { throw .malformed("varint too large") }
        return result
      }
    }
    throw .malformed("varint too long")
  }
}

extension [UInt8] {
  mutating func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ v: T) {
    var shift = T.bitWidth
    while shift > 0 {
      shift -= 8
      append(UInt8(truncatingIfNeeded: v >> shift))
    }
  }

  fileprivate mutating func appendVarint(_ v: UInt32) {
    var v = v
    while v >= 0x80 {
      append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    append(UInt8(v))
  }
}
