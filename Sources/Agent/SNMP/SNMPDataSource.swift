import Cluster
import MIB

/// What the SNMP thread reads to answer GET/GETNEXT, in the MIB's own types (`OID`,
/// `SNMPValue`): the bridge presents them to net-snmp directly. Implementations must be cheap
/// and non-blocking (typically an immutable sorted snapshot with binary search): they run on
/// the net-snmp thread, once per varbind.
protocol SNMPDataSource: Sendable {
  /// The exact value at `oid`, or nil.
  func get(_ oid: OID) -> SNMPValue?
  /// The first OID strictly greater than `oid` and its value, or nil.
  func getNext(_ oid: OID) -> (oid: OID, value: SNMPValue)?
  /// For a GET miss: true answers noSuchInstance (the object type exists), false noSuchObject.
  /// The default says "object exists" when some instance shares `oid` minus its last
  /// sub-identifier; a MIB-aware source can override it.
  func hasObject(covering oid: OID) -> Bool
}

extension SNMPDataSource {
  func hasObject(covering oid: OID) -> Bool {
    guard oid.count >= 2 else { return false }
    let parent = OID(Array(oid.components.dropLast()))
    guard let next = getNext(parent) else { return false }
    return next.oid.hasPrefix(parent)
  }
}

/// The source a subagent serves before the first `update(_:)`.
struct EmptySNMPDataSource: SNMPDataSource {
  func get(_ oid: OID) -> SNMPValue? { nil }
  func getNext(_ oid: OID) -> (oid: OID, value: SNMPValue)? { nil }
}

/// Where the event dispatcher hands every cluster event for SNMP, with the snapshot of that
/// moment (the MIB service; a test's recorder).
protocol TrapSink: Sendable {
  func notify(_ event: ClusterEvent, snapshot: ClusterSnapshot)
}
