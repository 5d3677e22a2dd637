/// A value served through the AgentX bridge.
enum SNMPBridgeValue: Sendable, Equatable {
  case integer(Int32)
  /// Gauge32 / Unsigned32.
  case unsigned(UInt32)
  case counter32(UInt32)
  case counter64(UInt64)
  case timeTicks(UInt32)
  case octetString([UInt8])
  case objectIdentifier([UInt32])
}

/// What the SNMP thread reads to answer GET/GETNEXT. Implementations must be cheap and
/// non-blocking (typically an immutable sorted snapshot with binary search): they run on the
/// net-snmp thread, once per varbind.
protocol SNMPDataSource: Sendable {
  /// The exact value at `oid`, or nil.
  func get(_ oid: [UInt32]) -> SNMPBridgeValue?
  /// The first OID strictly greater than `oid` (lexicographic) and its value, or nil.
  func getNext(_ oid: [UInt32]) -> (oid: [UInt32], value: SNMPBridgeValue)?
  /// For a GET miss: true answers noSuchInstance (the object type exists), false noSuchObject.
  /// The default says "object exists" when some instance shares `oid` minus its last
  /// sub-identifier; a MIB-aware source can override it.
  func hasObject(covering oid: [UInt32]) -> Bool
}

extension SNMPDataSource {
  func hasObject(covering oid: [UInt32]) -> Bool {
    guard oid.count >= 2 else { return false }
    let parent = Array(oid.dropLast())
    guard let next = getNext(parent) else { return false }
    return next.oid.starts(with: parent)
  }
}

/// The source a subagent serves before the first `update(_:)`.
struct EmptySNMPDataSource: SNMPDataSource {
  func get(_ oid: [UInt32]) -> SNMPBridgeValue? { nil }
  func getNext(_ oid: [UInt32]) -> (oid: [UInt32], value: SNMPBridgeValue)? { nil }
}
