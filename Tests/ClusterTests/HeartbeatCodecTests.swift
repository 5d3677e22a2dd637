import Cluster
import ClusterTestSupport
import Testing

private let key: [UInt8] = Array("0123456789abcdef-cluster-key".utf8)
private let otherKey: [UInt8] = Array("0123456789abcdef-another-key".utf8)
private let plain = HeartbeatCodec(key: nil)
private let signed = HeartbeatCodec(key: key)

private func group(
  _ id: UInt8, state: RedundancyGroupState = .primary, weight: Int16 = 255,
  manualTarget: UInt8? = nil
) -> GroupAnnouncement {
  GroupAnnouncement(
    id: id, configuredPriority: 200, effectivePriority: 200, weight: weight, state: state,
    healthy: weight > 0, failureCodes: weight > 0 ? [] : [.interface, .ip], failoverCount: 1,
    manualTarget: manualTarget, manualGeneration: manualTarget == nil ? 0 : 3, manualAuthor: 1)
}

private func message(groups: [GroupAnnouncement], link: HeartbeatMessage.Link = .control)
  -> HeartbeatMessage
{
  HeartbeatMessage(
    link: link, clusterID: 7, nodeID: 1, bootEpoch: 0xDEAD_BEEF_0123_4567, sequence: 42,
    configDigest: 0x0102_0304_0506_0708, counterGeneration: 9, groups: groups)
}

/// 129 groups covering every state, negative weights and both manual forms.
private func fullMessage() -> HeartbeatMessage {
  let states = RedundancyGroupState.allCases
  return message(
    groups: (0...128).map { i in
      group(
        UInt8(i), state: states[i % states.count], weight: Int16(255 - 4 * i),
        manualTarget: i % 3 == 0 ? nil : UInt8(i % 2))
    })
}

private func randomMessage(_ rng: inout SplitMix64) -> HeartbeatMessage {
  // Small varints most of the time, full range sometimes.
  func counter() -> UInt32 {
    Bool.random(using: &rng) ? UInt32.random(in: 0...200, using: &rng) : rng.next()
  }
  let count = Int.random(in: 0...HeartbeatCodec.maximumGroupCount, using: &rng)
  var ids = Array(UInt8.min...UInt8.max)
  ids.shuffle(using: &rng)
  let groups = ids.prefix(count).map { id in
    GroupAnnouncement(
      id: id, configuredPriority: rng.next(), effectivePriority: rng.next(),
      weight: .random(in: .min ... .max, using: &rng),
      state: RedundancyGroupState.allCases.randomElement(using: &rng) ?? .hold,
      healthy: Bool.random(using: &rng), failureCodes: FailureCodes(rawValue: rng.next()),
      failoverCount: counter(),
      manualTarget: Bool.random(using: &rng) ? UInt8.random(in: 0...1, using: &rng) : nil,
      manualGeneration: counter(), manualAuthor: .random(in: 0...1, using: &rng))
  }
  return HeartbeatMessage(
    link: Bool.random(using: &rng) ? .control : .fabric, clusterID: 7,
    nodeID: .random(in: 0...1, using: &rng), bootEpoch: rng.next(),
    sequence: rng.next(), configDigest: rng.next(),
    counterGeneration: rng.next(), groups: groups)
}

private func decodeError(
  _ codec: HeartbeatCodec, _ bytes: [UInt8], clusterID: UInt8 = 7
) -> HeartbeatDecodingError? {
  do {
    _ = try codec.decode(bytes, expectedClusterID: clusterID)
    return nil
  } catch {
    return error
  }
}

private func isMalformed(_ error: HeartbeatDecodingError?) -> Bool {
  if case .malformed = error { return true }
  return false
}

@Suite struct HeartbeatCodecRoundTripTests {
  @Test(arguments: [0, 1, 129])
  func roundTripWithAndWithoutKey(groupCount: Int) throws {
    let m = message(groups: Array(fullMessage().groups.prefix(groupCount)))
    for codec in [plain, signed] {
      let bytes = codec.encode(m)
      #expect(try codec.decode(bytes, expectedClusterID: 7) == m)
    }
    #expect(signed.encode(m).count == plain.encode(m).count + 32)
  }

  @Test func everyStateNegativeWeightAndManualForms() throws {
    for state in RedundancyGroupState.allCases {
      for target: UInt8? in [nil, 0, 1] {
        let m = message(groups: [group(3, state: state, weight: -300, manualTarget: target)])
        #expect(try signed.decode(signed.encode(m), expectedClusterID: 7) == m)
      }
    }
  }

  @Test func extremeFieldValues() throws {
    let g = GroupAnnouncement(
      id: 255, configuredPriority: 255, effectivePriority: 0, weight: .min, state: .lost,
      healthy: true, failureCodes: FailureCodes(rawValue: 0xFF), failoverCount: .max,
      manualTarget: 1, manualGeneration: .max, manualAuthor: 1)
    let m = HeartbeatMessage(
      link: .fabric, clusterID: 255, nodeID: 0, bootEpoch: .max, sequence: .max,
      configDigest: .max, counterGeneration: .max, groups: [g])
    #expect(try plain.decode(plain.encode(m), expectedClusterID: 255) == m)
  }

  @Test func headerIsBigEndian() {
    let bytes = plain.encode(message(groups: []))
    #expect(Array(bytes[0..<9]) == Array("CCHB".utf8) + [2, 0, 1, 7, 1])
    #expect(Array(bytes[17..<25]) == [0, 0, 0, 0, 0, 0, 0, 42])
    #expect(Array(bytes[53...]) == [0, 0])
    #expect(signed.encode(message(groups: []))[5] == 1)
  }

  @Test func varintsAreMinimal() {
    var m = message(groups: [group(1)])
    let small = plain.encode(m).count
    m.groups[0].failoverCount = 128
    #expect(plain.encode(m).count == small + 1)
    m.groups[0].failoverCount = .max
    m.groups[0].manualGeneration = .max
    #expect(plain.encode(m).count == small + 8)
  }

  @Test func fullMessageFitsOneDatagram() {
    let bytes = signed.encode(fullMessage())
    #expect(bytes.count == 55 + 129 * 10 + 32)
    #expect(bytes.count < 1400)
  }
}

@Suite struct HeartbeatCodecRejectionTests {
  let valid = fullMessage()

  @Test func everyTamperedByteIsRejected() {
    let bytes = signed.encode(valid)
    for i in bytes.indices {
      var tampered = bytes
      tampered[i] ^= 0xFF
      #expect(decodeError(signed, tampered) != nil, "byte \(i)")
      tampered[i] ^= 0x7F  // A single-bit flip too.
      #expect(decodeError(signed, tampered) != nil, "byte \(i)")
    }
    let bodyByte = 55 + 5
    var tampered = bytes
    tampered[bodyByte] ^= 1
    #expect(decodeError(signed, tampered) == .badMAC)
    tampered = bytes
    tampered[bytes.count - 1] ^= 1
    #expect(decodeError(signed, tampered) == .badMAC)
  }

  @Test func wrongKey() {
    let bytes = HeartbeatCodec(key: otherKey).encode(valid)
    #expect(decodeError(signed, bytes) == .badMAC)
  }

  @Test func wrongClusterID() {
    #expect(decodeError(signed, signed.encode(valid), clusterID: 8) == .wrongClusterID(7))
    #expect(decodeError(plain, plain.encode(valid), clusterID: 0) == .wrongClusterID(7))
  }

  @Test func authenticationModeMismatch() {
    #expect(decodeError(plain, signed.encode(valid)) == .unexpectedAuthentication)
    #expect(decodeError(signed, plain.encode(valid)) == .authenticationMissing)
    // Stripping the MAC and the flag is still caught.
    var stripped = Array(signed.encode(valid).dropLast(32))
    stripped[5] = 0
    #expect(decodeError(signed, stripped) == .authenticationMissing)
  }

  @Test func truncatedAtEveryLength() {
    let bytes = plain.encode(valid)
    for n in 0..<bytes.count {
      #expect(decodeError(plain, Array(bytes.prefix(n))) == .truncated, "length \(n)")
    }
    let authenticated = signed.encode(valid)
    for n in 0..<authenticated.count {
      let error = decodeError(signed, Array(authenticated.prefix(n)))
      #expect(error == .truncated || error == .badMAC, "length \(n)")
    }
  }

  @Test func badMagicAndVersion() {
    var bytes = plain.encode(valid)
    bytes[2] = UInt8(ascii: "X")
    #expect(decodeError(plain, bytes) == .badMagic)
    bytes = plain.encode(valid)
    bytes[4] = 3
    #expect(decodeError(plain, bytes) == .unsupportedVersion(3))
  }

  @Test func unknownHeaderValues() {
    // Link 3 is the LAN heartbeat (DESIGN §12); 4 is unknown.
    for (offset, value) in [(5, 0x04), (6, 0), (6, 4), (8, 2)] as [(Int, UInt8)] {
      var bytes = plain.encode(valid)
      bytes[offset] = value
      #expect(isMalformed(decodeError(plain, bytes)), "offset \(offset) = \(value)")
    }
  }

  @Test func unknownStateAndStatusBits() {
    let statusOffset = 55 + 5
    let base = plain.encode(message(groups: [group(1)]))
    #expect(base[statusOffset] & 0b111 == RedundancyGroupState.primary.rawValue)
    for status: UInt8 in [0b1000_1000, 0b1000_0010, 0b0010_0010] {
      var bytes = base
      bytes[statusOffset] = status
      #expect(isMalformed(decodeError(plain, bytes)), "status \(status)")
    }
  }

  @Test func nonMinimalAndOversizedVarints() {
    let base = plain.encode(message(groups: [group(1)]))
    let head = Array(base.prefix(55 + 7))
    for varints: [UInt8] in [
      [0x81, 0x00, 0x00],  // 1 written as two bytes
      [0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x00],  // exceeds UInt32
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00],  // six bytes
    ] {
      #expect(isMalformed(decodeError(plain, head + varints)), "\(varints)")
    }
  }

  @Test func trailingGarbage() {
    #expect(isMalformed(decodeError(plain, plain.encode(valid) + [0])))
    // With a key the MAC covers a fixed body, so appended bytes break it.
    #expect(decodeError(signed, signed.encode(valid) + [0]) == .badMAC)
  }

  @Test func duplicateGroupIDs() {
    for codec in [plain, signed] {
      let bytes = codec.encode(message(groups: [group(4), group(5), group(4)]))
      #expect(decodeError(codec, bytes) == .malformed("duplicate group 4"))
    }
    // Ids in every quarter of 0...255 (the decoder keeps one bit per id), each 64 apart.
    let spread = [0, 63, 64, 127, 128, 191, 192, 255].map { group(UInt8($0)) }
    let decoded = try? plain.decode(plain.encode(message(groups: spread)), expectedClusterID: 7)
    #expect(decoded?.groups.map(\.id) == spread.map(\.id))
    for id in [0, 64, 128, 192, 255] as [UInt8] {
      let bytes = plain.encode(message(groups: spread + [group(id)]))
      #expect(decodeError(plain, bytes) == .malformed("duplicate group \(id)"))
    }
  }

  @Test func tooManyGroups() {
    let groups = (0...129).map { group(UInt8($0)) }
    #expect(isMalformed(decodeError(plain, plain.encode(message(groups: groups)))))
    var bytes = plain.encode(message(groups: []))
    bytes[53] = 0xFF
    bytes[54] = 0xFF
    #expect(isMalformed(decodeError(plain, bytes)))
  }

  @Test func errorsDescribeThemselves() {
    #expect(HeartbeatDecodingError.badMAC.description == "bad message authentication code")
    #expect("\(HeartbeatDecodingError.wrongClusterID(3))".contains("3"))
  }
}

@Suite struct HeartbeatCodecFuzzTests {
  private enum Outcome { case rejected, accepted, mismatch }

  /// Decoding either throws or yields a message that encodes back to exactly the input.
  private func check(_ codec: HeartbeatCodec, _ bytes: [UInt8]) -> Outcome {
    guard let m = try? codec.decode(bytes, expectedClusterID: 7) else { return .rejected }
    return codec.encode(m) == bytes ? .accepted : .mismatch
  }

  @Test func randomBytesNeverCrash() {
    var rng = SplitMix64(seed: 0x5EED_0001)
    // Half start with a valid header prefix so that the reader gets past the magic.
    let prefix = Array(plain.encode(message(groups: [])).prefix(9))
    var failures = 0
    var accepted = 0
    for i in 0..<200_000 {
      let count = Int.random(in: 0...400, using: &rng)
      var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
      if i % 2 == 0 {
        bytes = prefix + bytes
        if i % 4 == 0, bytes.count > 54 {  // Zero or one group: reach the records.
          bytes[53] = 0
          bytes[54] &= 1
        }
      }
      switch check(plain, bytes) {
      case .rejected: break
      case .accepted: accepted += 1
      case .mismatch: failures += 1
      }
      if i % 16 == 0, check(signed, bytes) != .rejected { failures += 1 }
    }
    #expect(failures == 0)
    #expect(accepted > 0)
  }

  @Test func mutatedMessagesNeverCrash() {
    var rng = SplitMix64(seed: 0x5EED_0002)
    // A pool of valid messages, most with few groups so mutations often reach every field.
    let pool = (0..<256).map { i in
      var m = randomMessage(&rng)
      if i % 4 != 0 { m.groups = Array(m.groups.prefix(i % 5)) }
      return m
    }
    let encoded = (plain: pool.map(plain.encode), signed: pool.map(signed.encode))
    var failures = 0
    var accepted = 0
    for i in 0..<200_000 {
      let codec = i % 8 == 0 ? signed : plain
      let n = Int.random(in: 0..<pool.count, using: &rng)
      var bytes = i % 8 == 0 ? encoded.signed[n] : encoded.plain[n]
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        mutate(&bytes, &rng)
      }
      switch check(codec, bytes) {
      case .rejected: break
      case .accepted: accepted += 1
      case .mismatch: failures += 1
      }
    }
    #expect(failures == 0)
    #expect(accepted > 0)
  }

  @Test func randomMessagesRoundTrip() throws {
    var rng = SplitMix64(seed: 0x5EED_0003)
    for i in 0..<2_000 {
      let codec = i % 2 == 0 ? signed : plain
      let m = randomMessage(&rng)
      #expect(try codec.decode(codec.encode(m), expectedClusterID: 7) == m)
    }
  }

  private func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
    let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
    switch Int.random(in: 0..<6, using: &rng) {
    case 0 where !bytes.isEmpty: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
    case 1 where !bytes.isEmpty: bytes[index] = rng.next()
    case 2: bytes.insert(rng.next(), at: index)
    case 3 where !bytes.isEmpty: bytes.remove(at: index)
    case 4: bytes.removeLast(Int.random(in: 0...min(bytes.count, 40), using: &rng))
    default:
      // Small group counts and varint boundaries are where off-by-ones hide.
      let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0x81, 0xFF]
      if !bytes.isEmpty { bytes[index] = interesting.randomElement(using: &rng) ?? 0 }
    }
  }
}

@Suite struct AuthenticationKeyTests {
  @Test func trailingWhitespaceIsStripped() throws {
    let text = "a-shared-secret-key-of-32-bytes!"
    let key = try HeartbeatCodec.loadKey(fileContents: Array((text + "\n\r\n \t").utf8))
    #expect(key == Array(text.utf8))
  }

  @Test func rawBytesAreKept() throws {
    let raw: [UInt8] = (0..<32).map { UInt8($0 * 7) }
    #expect(try HeartbeatCodec.loadKey(fileContents: raw) == raw)
  }

  @Test func shortKeysAreRejected() {
    #expect(throws: HeartbeatKeyError.tooShort(byteCount: 31, minimum: 32)) {
      try HeartbeatCodec.loadKey(fileContents: Array("thirty-one-bytes-of-a-password!\n".utf8))
    }
    #expect(throws: HeartbeatKeyError.tooShort(byteCount: 0, minimum: 32)) {
      try HeartbeatCodec.loadKey(fileContents: Array("  \n\n".utf8))
    }
  }
}

@Suite struct ReplayGuardTests {
  @Test func firstMessageThenFresh() {
    var replay = ReplayGuard()
    #expect(replay.accept(epoch: 1, sequence: 10, link: .control) == .newEpoch)
    #expect(replay.accept(epoch: 1, sequence: 11, link: .control) == .fresh)
    #expect(replay.accept(epoch: 1, sequence: 20, link: .control) == .fresh)
    #expect(replay.highestSequence(on: .control) == 20)
  }

  @Test func olderAndEqualSequencesAreReplays() {
    var replay = ReplayGuard()
    _ = replay.accept(epoch: 1, sequence: 10, link: .control)
    #expect(replay.accept(epoch: 1, sequence: 10, link: .control) == .replayed)
    #expect(replay.accept(epoch: 1, sequence: 9, link: .control) == .replayed)
    #expect(replay.accept(epoch: 1, sequence: 0, link: .control) == .replayed)
    #expect(replay.highestSequence(on: .control) == 10)
  }

  @Test func linksKeepTheirOwnSequenceInOneEpoch() {
    var replay = ReplayGuard()
    #expect(replay.accept(epoch: 1, sequence: 10, link: .control) == .newEpoch)
    // The probe carrying the heartbeat's sequence number is not a replay.
    #expect(replay.accept(epoch: 1, sequence: 10, link: .fabric) == .fresh)
    #expect(replay.accept(epoch: 1, sequence: 11, link: .fabric) == .fresh)
    #expect(replay.accept(epoch: 1, sequence: 11, link: .control) == .fresh)
    #expect(replay.accept(epoch: 1, sequence: 5, link: .fabric) == .replayed)
    #expect(replay.highestSequence(on: .control) == 11)
  }

  @Test func newEpochResetsSequenceOnBothLinks() {
    var replay = ReplayGuard()
    _ = replay.accept(epoch: 1, sequence: 1_000, link: .control)
    _ = replay.accept(epoch: 1, sequence: 1_000, link: .fabric)
    #expect(replay.accept(epoch: 2, sequence: 1, link: .control) == .newEpoch)
    #expect(replay.peerEpoch == 2)
    #expect(replay.accept(epoch: 2, sequence: 2, link: .control) == .fresh)
    #expect(replay.highestSequence(on: .fabric) == nil)
    #expect(replay.accept(epoch: 2, sequence: 1, link: .fabric) == .fresh)
  }

  /// No exception for a silent peer any more (issue 13 item 3): epochs rise across restarts
  /// even after a clock step (`BootEpoch`), so an older epoch is always a recording.
  @Test func olderEpochsAreAlwaysReplays() {
    var replay = ReplayGuard()
    _ = replay.accept(epoch: 1, sequence: 1_000, link: .control)
    _ = replay.accept(epoch: 2, sequence: 1, link: .control)
    #expect(replay.accept(epoch: 1, sequence: 1_001, link: .control) == .replayed)
    #expect(replay.peerEpoch == 2)
    #expect(replay.accept(epoch: 2, sequence: 2, link: .control) == .fresh)
  }

  /// One epoch for both links: a recording of the previous boot replayed on the link that has
  /// not yet heard the new epoch is refused too.
  @Test func oneEpochForBothLinks() {
    var replay = ReplayGuard()
    _ = replay.accept(epoch: 1, sequence: 50, link: .control)
    _ = replay.accept(epoch: 1, sequence: 50, link: .fabric)
    _ = replay.accept(epoch: 2, sequence: 1, link: .control)
    #expect(replay.accept(epoch: 1, sequence: 51, link: .fabric) == .replayed)
    #expect(replay.peerEpoch == 2)
  }
}

@Suite struct BootEpochTests {
  @Test func clockBasedWhenNothingIsPersisted() {
    #expect(BootEpoch.next(wallClockMilliseconds: 1000, random: 7, last: nil) == 1000 << 16 | 7)
  }

  @Test func risesAboveThePersistedEpochAfterAClockStepBack() {
    let before = BootEpoch.next(wallClockMilliseconds: 2_000_000, random: 0xFFFF, last: nil)
    let after = BootEpoch.next(wallClockMilliseconds: 1_000_000, random: 0, last: before)
    #expect(after == before + 1)
    // With the clock ahead again, the clock wins.
    #expect(
      BootEpoch.next(wallClockMilliseconds: 3_000_000, random: 1, last: after) == 3_000_000 << 16
        | 1)
  }

  @Test func stateFileText() {
    #expect(BootEpoch.parse(BootEpoch.text(123_456)) == 123_456)
    #expect(BootEpoch.parse("") == nil)
    #expect(BootEpoch.parse("12x\n") == nil)
  }
}

/// Issue 13 item 5: send with the current key, accept the previous one too.
@Suite struct KeyRotationTests {
  static let old: [UInt8] = Array(repeating: 0x11, count: 32)
  static let new: [UInt8] = Array(repeating: 0x22, count: 32)
  static let message = HeartbeatMessage(
    link: .control, clusterID: 7, nodeID: 1, bootEpoch: 1, sequence: 1, configDigest: 2,
    counterGeneration: 0, nonce: 3, echoedNonce: 4, groups: [])

  @Test func nodesOnDifferentCurrentKeysUnderstandEachOther() throws {
    // Node A rekeyed (new, previous old); node B not yet, or the other way round.
    let a = HeartbeatCodec(key: Self.new, previousKey: Self.old)
    let b = HeartbeatCodec(key: Self.old, previousKey: Self.new)
    #expect(try a.decode(b.encode(Self.message), expectedClusterID: 7) == Self.message)
    #expect(try b.decode(a.encode(Self.message), expectedClusterID: 7) == Self.message)
    // A node that does not accept the new key yet cannot hear a node that sends with it: that
    // is why the rotation starts by adding the new key as the previous one on both nodes.
    let bare = HeartbeatCodec(key: Self.old)
    #expect(try a.decode(bare.encode(Self.message), expectedClusterID: 7) == Self.message)
    #expect(throws: HeartbeatDecodingError.badMAC) {
      try bare.decode(a.encode(Self.message), expectedClusterID: 7)
    }
  }

  @Test func thePreviousKeyNeverSigns() {
    let a = HeartbeatCodec(key: Self.new, previousKey: Self.old)
    #expect(a.encode(Self.message) == HeartbeatCodec(key: Self.new).encode(Self.message))
  }

  @Test func aThirdKeyIsRefused() {
    let a = HeartbeatCodec(key: Self.new, previousKey: Self.old)
    let stranger = HeartbeatCodec(key: Array(repeating: 0x33, count: 32))
    #expect(throws: HeartbeatDecodingError.badMAC) {
      try a.decode(stranger.encode(Self.message), expectedClusterID: 7)
    }
  }
}

@Suite struct KeyFilePolicyTests {
  @Test func rootOwnedAndPrivateIsAccepted() {
    #expect(KeyFilePolicy.problem(path: "/k", owner: 0, mode: 0o100400) == nil)
    #expect(KeyFilePolicy.problem(path: "/k", owner: 0, mode: 0o100600) == nil)
  }

  @Test func groupOrOtherAccessIsRefused() {
    for mode: UInt32 in [0o100640, 0o100604, 0o100620, 0o100602, 0o100644] {
      let problem = KeyFilePolicy.problem(path: "/etc/k", owner: 0, mode: mode)
      #expect(problem?.contains("/etc/k") == true)
      #expect(problem?.contains("chmod 0400") == true)
    }
  }

  @Test func otherOwnersAndNonRegularFilesAreRefused() {
    #expect(
      KeyFilePolicy.problem(path: "/k", owner: 1000, mode: 0o100400)
        == "/k is owned by uid 1000; an authentication key must be owned by root")
    #expect(
      KeyFilePolicy.problem(path: "/k", owner: 0, mode: 0o040700)?.contains("regular") == true)
  }
}
