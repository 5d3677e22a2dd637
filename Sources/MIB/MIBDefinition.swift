/// One OBJECT-TYPE or NOTIFICATION-TYPE of CHASSIS-CLUSTER-MIB.
public struct MIBObject: Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable {
    case scalar
    case table
    case entry
    case column
    case notification
  }

  public enum Access: String, Sendable, Hashable {
    case notAccessible = "not-accessible"
    case readOnly = "read-only"
  }

  public let name: String
  public let oid: OID
  public let kind: Kind
  /// The type named by the SYNTAX clause as written (`CcNodeId`, `Counter64`,
  /// `SEQUENCE OF CcRedundancyGroupEntry`); empty for notifications.
  public let syntax: String
  /// The base type an instance is sent as; nil for tables, entries and notifications.
  public let type: SMIType?
  /// nil for notifications.
  public let access: Access?
  /// An entry's INDEX objects.
  public let index: [String]
  /// A notification's OBJECTS, in order.
  public let objects: [String]

  public var description: String { "\(name) (\(oid))" }
}

/// CHASSIS-CLUSTER-MIB as data: every object and notification with its OID and type. The test
/// suite reads mibs/CHASSIS-CLUSTER-MIB.txt and checks this table against it both ways.
public enum MIBDefinition {
  /// chassisClusterMIB ::= { netSnmpPlaypen 1 }; netSnmpPlaypen is 1.3.6.1.4.1.8072.9999.9999.
  public static let root: OID = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 1]
  public static let notificationsRoot = root + [0]
  public static let objectsRoot = root + [1]
  public static let clusterRoot = objectsRoot + [1]
  /// ccSessionSync ::= { ccObjects 8 }
  public static let sessionSyncRoot = objectsRoot + [8]
  /// ccWitness ::= { ccObjects 9 }
  public static let witnessRoot = objectsRoot + [9]

  // MARK: Scalars (ccCluster)

  public static let ccClusterId = scalar("ccClusterId", 1, "Integer32", .integer32)
  public static let ccLocalNodeId = scalar("ccLocalNodeId", 2, "CcNodeId", .integer32)
  public static let ccHeartbeatInterval = scalar(
    "ccHeartbeatInterval", 3, "Unsigned32", .unsigned32)
  public static let ccHeartbeatThreshold = scalar(
    "ccHeartbeatThreshold", 4, "Unsigned32", .unsigned32)
  public static let ccControlLinkStatus = scalar(
    "ccControlLinkStatus", 5, "CcLinkStatus", .integer32)
  public static let ccFabricLinkStatus = scalar(
    "ccFabricLinkStatus", 6, "CcLinkStatus", .integer32)
  public static let ccPeerStatus = scalar("ccPeerStatus", 7, "CcPeerState", .integer32)
  public static let ccHeartbeatsSent = scalar("ccHeartbeatsSent", 8, "Counter64", .counter64)
  public static let ccHeartbeatsReceived = scalar(
    "ccHeartbeatsReceived", 9, "Counter64", .counter64)
  public static let ccHeartbeatErrors = scalar("ccHeartbeatErrors", 10, "Counter64", .counter64)
  public static let ccProbesSent = scalar("ccProbesSent", 11, "Counter64", .counter64)
  public static let ccProbesReceived = scalar("ccProbesReceived", 12, "Counter64", .counter64)
  public static let ccProbeErrors = scalar("ccProbeErrors", 13, "Counter64", .counter64)
  public static let ccSplitBrainStatus = scalar("ccSplitBrainStatus", 14, "INTEGER", .integer32)
  public static let ccSplitBrainLastDetected = scalar(
    "ccSplitBrainLastDetected", 15, "TimeStamp", .timeTicks)
  public static let ccSplitBrainCount = scalar("ccSplitBrainCount", 16, "Counter32", .counter32)
  public static let ccConfigDigestStatus = scalar(
    "ccConfigDigestStatus", 17, "INTEGER", .integer32)
  public static let ccNotificationsDropped = scalar(
    "ccNotificationsDropped", 18, "Counter32", .counter32)
  public static let ccLanLinkStatus = scalar("ccLanLinkStatus", 19, "INTEGER", .integer32)
  public static let ccLanHeartbeatsSent = scalar(
    "ccLanHeartbeatsSent", 20, "Counter64", .counter64)
  public static let ccLanHeartbeatsReceived = scalar(
    "ccLanHeartbeatsReceived", 21, "Counter64", .counter64)
  public static let ccLanHeartbeatErrors = scalar(
    "ccLanHeartbeatErrors", 22, "Counter64", .counter64)

  // MARK: ccRedundancyGroupTable

  public static let ccRedundancyGroupTable = table(
    "ccRedundancyGroupTable", 2, entry: "CcRedundancyGroupEntry")
  public static let ccRedundancyGroupEntry = entry(
    "ccRedundancyGroupEntry", in: ccRedundancyGroupTable, syntax: "CcRedundancyGroupEntry",
    index: ["ccRgId"])
  public static let ccRgId = column(
    "ccRgId", ccRedundancyGroupEntry, 1, "CcRedundancyGroupId", .integer32, .notAccessible)
  public static let ccRgFailoverCount = column(
    "ccRgFailoverCount", ccRedundancyGroupEntry, 2, "Counter32", .counter32)
  public static let ccRgLastFailoverTime = column(
    "ccRgLastFailoverTime", ccRedundancyGroupEntry, 3, "TimeStamp", .timeTicks)
  public static let ccRgLastFailoverReason = column(
    "ccRgLastFailoverReason", ccRedundancyGroupEntry, 4, "DisplayString", .octetString)
  public static let ccRgPreempt = column(
    "ccRgPreempt", ccRedundancyGroupEntry, 5, "TruthValue", .integer32)
  public static let ccRgHoldDownInterval = column(
    "ccRgHoldDownInterval", ccRedundancyGroupEntry, 6, "Unsigned32", .unsigned32)
  public static let ccRgPrimaryNode = column(
    "ccRgPrimaryNode", ccRedundancyGroupEntry, 7, "Integer32", .integer32)
  public static let ccRgManualFailoverNode = column(
    "ccRgManualFailoverNode", ccRedundancyGroupEntry, 8, "Integer32", .integer32)

  // MARK: ccRedundancyGroupNodeTable

  public static let ccRedundancyGroupNodeTable = table(
    "ccRedundancyGroupNodeTable", 3, entry: "CcRedundancyGroupNodeEntry")
  public static let ccRedundancyGroupNodeEntry = entry(
    "ccRedundancyGroupNodeEntry", in: ccRedundancyGroupNodeTable,
    syntax: "CcRedundancyGroupNodeEntry", index: ["ccRgId", "ccRgNodeId"])
  public static let ccRgNodeId = column(
    "ccRgNodeId", ccRedundancyGroupNodeEntry, 1, "CcNodeId", .integer32, .notAccessible)
  public static let ccRgNodeConfiguredPriority = column(
    "ccRgNodeConfiguredPriority", ccRedundancyGroupNodeEntry, 2, "Unsigned32", .unsigned32)
  public static let ccRgNodeEffectivePriority = column(
    "ccRgNodeEffectivePriority", ccRedundancyGroupNodeEntry, 3, "Unsigned32", .unsigned32)
  public static let ccRgNodeState = column(
    "ccRgNodeState", ccRedundancyGroupNodeEntry, 4, "CcRedundancyGroupState", .integer32)
  public static let ccRgNodeManualFailover = column(
    "ccRgNodeManualFailover", ccRedundancyGroupNodeEntry, 5, "TruthValue", .integer32)
  public static let ccRgNodeWeight = column(
    "ccRgNodeWeight", ccRedundancyGroupNodeEntry, 6, "Integer32", .integer32)
  public static let ccRgNodeFailureCodes = column(
    "ccRgNodeFailureCodes", ccRedundancyGroupNodeEntry, 7, "CcFailureCodes", .bits)
  public static let ccRgNodeLastStateChange = column(
    "ccRgNodeLastStateChange", ccRedundancyGroupNodeEntry, 8, "TimeStamp", .timeTicks)
  public static let ccRgNodeFailureCodesText = column(
    "ccRgNodeFailureCodesText", ccRedundancyGroupNodeEntry, 9, "DisplayString", .octetString)
  public static let ccRgNodeWeightKnown = column(
    "ccRgNodeWeightKnown", ccRedundancyGroupNodeEntry, 10, "TruthValue", .integer32)

  // MARK: ccInterfaceMonitorTable

  public static let ccInterfaceMonitorTable = table(
    "ccInterfaceMonitorTable", 4, entry: "CcInterfaceMonitorEntry")
  public static let ccInterfaceMonitorEntry = entry(
    "ccInterfaceMonitorEntry", in: ccInterfaceMonitorTable, syntax: "CcInterfaceMonitorEntry",
    index: ["ccRgId", "ccIfMonIndex"])
  public static let ccIfMonIndex = column(
    "ccIfMonIndex", ccInterfaceMonitorEntry, 1, "Unsigned32", .unsigned32, .notAccessible)
  public static let ccIfMonName = column(
    "ccIfMonName", ccInterfaceMonitorEntry, 2, "DisplayString", .octetString)
  public static let ccIfMonWeight = column(
    "ccIfMonWeight", ccInterfaceMonitorEntry, 3, "Unsigned32", .unsigned32)
  public static let ccIfMonStatus = column(
    "ccIfMonStatus", ccInterfaceMonitorEntry, 4, "INTEGER", .integer32)
  public static let ccIfMonNode = column(
    "ccIfMonNode", ccInterfaceMonitorEntry, 5, "Integer32", .integer32)
  public static let ccIfMonLastChange = column(
    "ccIfMonLastChange", ccInterfaceMonitorEntry, 6, "TimeStamp", .timeTicks)

  // MARK: ccIpMonitorTable

  public static let ccIpMonitorTable = table("ccIpMonitorTable", 5, entry: "CcIpMonitorEntry")
  public static let ccIpMonitorEntry = entry(
    "ccIpMonitorEntry", in: ccIpMonitorTable, syntax: "CcIpMonitorEntry",
    index: ["ccRgId", "ccIpMonIndex"])
  public static let ccIpMonIndex = column(
    "ccIpMonIndex", ccIpMonitorEntry, 1, "Unsigned32", .unsigned32, .notAccessible)
  public static let ccIpMonAddressType = column(
    "ccIpMonAddressType", ccIpMonitorEntry, 2, "InetAddressType", .integer32)
  public static let ccIpMonAddress = column(
    "ccIpMonAddress", ccIpMonitorEntry, 3, "InetAddress", .octetString)
  public static let ccIpMonWeight = column(
    "ccIpMonWeight", ccIpMonitorEntry, 4, "Unsigned32", .unsigned32)
  public static let ccIpMonStatus = column(
    "ccIpMonStatus", ccIpMonitorEntry, 5, "INTEGER", .integer32)
  public static let ccIpMonLastChange = column(
    "ccIpMonLastChange", ccIpMonitorEntry, 6, "TimeStamp", .timeTicks)
  public static let ccIpMonAddressText = column(
    "ccIpMonAddressText", ccIpMonitorEntry, 7, "DisplayString", .octetString)

  // MARK: ccRethTable

  public static let ccRethTable = table("ccRethTable", 6, entry: "CcRethEntry")
  public static let ccRethEntry = entry(
    "ccRethEntry", in: ccRethTable, syntax: "CcRethEntry", index: ["ccRethIndex"])
  public static let ccRethIndex = column(
    "ccRethIndex", ccRethEntry, 1, "Unsigned32", .unsigned32, .notAccessible)
  public static let ccRethName = column(
    "ccRethName", ccRethEntry, 2, "DisplayString", .octetString)
  public static let ccRethRgId = column(
    "ccRethRgId", ccRethEntry, 3, "CcRedundancyGroupId", .integer32)
  public static let ccRethMac = column("ccRethMac", ccRethEntry, 4, "PhysAddress", .octetString)
  public static let ccRethOperStatus = column(
    "ccRethOperStatus", ccRethEntry, 5, "INTEGER", .integer32)
  public static let ccRethMemberStatus = column(
    "ccRethMemberStatus", ccRethEntry, 6, "INTEGER", .integer32)
  public static let ccRethAddressCount = column(
    "ccRethAddressCount", ccRethEntry, 7, "Unsigned32", .unsigned32)
  public static let ccRethGratuitousArpsSent = column(
    "ccRethGratuitousArpsSent", ccRethEntry, 8, "Counter32", .counter32)
  public static let ccRethNeighborAdvertsSent = column(
    "ccRethNeighborAdvertsSent", ccRethEntry, 9, "Counter32", .counter32)
  public static let ccRethRestores = column(
    "ccRethRestores", ccRethEntry, 10, "Counter32", .counter32)
  public static let ccRethLastChange = column(
    "ccRethLastChange", ccRethEntry, 11, "TimeStamp", .timeTicks)

  // MARK: ccRethAddressTable

  public static let ccRethAddressTable = table(
    "ccRethAddressTable", 7, entry: "CcRethAddressEntry")
  public static let ccRethAddressEntry = entry(
    "ccRethAddressEntry", in: ccRethAddressTable, syntax: "CcRethAddressEntry",
    index: ["ccRethIndex", "ccRethAddrIndex"])
  public static let ccRethAddrIndex = column(
    "ccRethAddrIndex", ccRethAddressEntry, 1, "Unsigned32", .unsigned32, .notAccessible)
  public static let ccRethAddrType = column(
    "ccRethAddrType", ccRethAddressEntry, 2, "InetAddressType", .integer32)
  public static let ccRethAddr = column(
    "ccRethAddr", ccRethAddressEntry, 3, "InetAddress", .octetString)
  public static let ccRethAddrPrefixLength = column(
    "ccRethAddrPrefixLength", ccRethAddressEntry, 4, "InetAddressPrefixLength", .unsigned32)
  public static let ccRethAddrText = column(
    "ccRethAddrText", ccRethAddressEntry, 5, "DisplayString", .octetString)

  // MARK: Notifications (ccNotifications)

  public static let ccRgStateChange = notification(
    "ccRgStateChange", 1,
    [
      ccLocalNodeId, ccRgNodeState, ccRgNodeEffectivePriority, ccRgFailoverCount,
      ccRgLastFailoverReason,
    ])
  public static let ccRgFailover = notification(
    "ccRgFailover", 2,
    [ccLocalNodeId, ccRgPrimaryNode, ccRgFailoverCount, ccRgLastFailoverReason])
  public static let ccInterfaceMonitorFailure = notification(
    "ccInterfaceMonitorFailure", 3,
    [ccLocalNodeId, ccIfMonName, ccIfMonWeight, ccIfMonStatus, ccRgNodeWeight])
  public static let ccInterfaceMonitorRecovery = notification(
    "ccInterfaceMonitorRecovery", 4,
    [ccLocalNodeId, ccIfMonName, ccIfMonWeight, ccIfMonStatus, ccRgNodeWeight])
  public static let ccIpMonitorFailure = notification(
    "ccIpMonitorFailure", 5,
    [
      ccLocalNodeId, ccIpMonAddressType, ccIpMonAddress, ccIpMonWeight, ccIpMonStatus,
      ccRgNodeWeight,
    ])
  public static let ccIpMonitorRecovery = notification(
    "ccIpMonitorRecovery", 6,
    [
      ccLocalNodeId, ccIpMonAddressType, ccIpMonAddress, ccIpMonWeight, ccIpMonStatus,
      ccRgNodeWeight,
    ])
  public static let ccControlLinkDown = notification(
    "ccControlLinkDown", 7, [ccLocalNodeId, ccControlLinkStatus, ccHeartbeatsReceived])
  public static let ccControlLinkUp = notification(
    "ccControlLinkUp", 8, [ccLocalNodeId, ccControlLinkStatus, ccHeartbeatsReceived])
  public static let ccFabricLinkDown = notification(
    "ccFabricLinkDown", 9, [ccLocalNodeId, ccFabricLinkStatus, ccProbesReceived])
  public static let ccFabricLinkUp = notification(
    "ccFabricLinkUp", 10, [ccLocalNodeId, ccFabricLinkStatus, ccProbesReceived])
  public static let ccPeerLost = notification("ccPeerLost", 11, [ccLocalNodeId, ccPeerStatus])
  public static let ccPeerFound = notification("ccPeerFound", 12, [ccLocalNodeId, ccPeerStatus])
  public static let ccSplitBrainDetected = notification(
    "ccSplitBrainDetected", 13, [ccLocalNodeId, ccSplitBrainStatus, ccSplitBrainCount])
  public static let ccSplitBrainResolved = notification(
    "ccSplitBrainResolved", 14, [ccLocalNodeId, ccSplitBrainStatus, ccSplitBrainCount])
  public static let ccConfigMismatch = notification(
    "ccConfigMismatch", 15, [ccLocalNodeId, ccConfigDigestStatus])
  public static let ccRethStatusChange = notification(
    "ccRethStatusChange", 16, [ccLocalNodeId, ccRethName, ccRethRgId, ccRethOperStatus])
  public static let ccRethAddressRestored = notification(
    "ccRethAddressRestored", 17,
    [ccLocalNodeId, ccRethName, ccRethRgId, ccRethOperStatus, ccRethRestores])
  public static let ccLanLinkDown = notification(
    "ccLanLinkDown", 18, [ccLocalNodeId, ccLanLinkStatus, ccLanHeartbeatsReceived])
  public static let ccLanLinkUp = notification(
    "ccLanLinkUp", 19, [ccLocalNodeId, ccLanLinkStatus, ccLanHeartbeatsReceived])

  /// Every OBJECT-TYPE and NOTIFICATION-TYPE of the module, in file order.
  public static let all: [MIBObject] =
    [
      ccClusterId, ccLocalNodeId, ccHeartbeatInterval, ccHeartbeatThreshold, ccControlLinkStatus,
      ccFabricLinkStatus, ccPeerStatus, ccHeartbeatsSent, ccHeartbeatsReceived, ccHeartbeatErrors,
      ccProbesSent, ccProbesReceived, ccProbeErrors, ccSplitBrainStatus, ccSplitBrainLastDetected,
      ccSplitBrainCount, ccConfigDigestStatus, ccNotificationsDropped, ccLanLinkStatus,
      ccLanHeartbeatsSent, ccLanHeartbeatsReceived, ccLanHeartbeatErrors,
      ccRedundancyGroupTable, ccRedundancyGroupEntry, ccRgId, ccRgFailoverCount,
      ccRgLastFailoverTime, ccRgLastFailoverReason, ccRgPreempt, ccRgHoldDownInterval,
      ccRgPrimaryNode, ccRgManualFailoverNode,
      ccRedundancyGroupNodeTable, ccRedundancyGroupNodeEntry, ccRgNodeId,
      ccRgNodeConfiguredPriority, ccRgNodeEffectivePriority, ccRgNodeState, ccRgNodeManualFailover,
      ccRgNodeWeight, ccRgNodeFailureCodes, ccRgNodeLastStateChange, ccRgNodeFailureCodesText,
      ccRgNodeWeightKnown,
      ccInterfaceMonitorTable, ccInterfaceMonitorEntry, ccIfMonIndex, ccIfMonName, ccIfMonWeight,
      ccIfMonStatus, ccIfMonNode, ccIfMonLastChange,
      ccIpMonitorTable, ccIpMonitorEntry, ccIpMonIndex, ccIpMonAddressType, ccIpMonAddress,
      ccIpMonWeight, ccIpMonStatus, ccIpMonLastChange, ccIpMonAddressText,
      ccRethTable, ccRethEntry, ccRethIndex, ccRethName, ccRethRgId, ccRethMac, ccRethOperStatus,
      ccRethMemberStatus, ccRethAddressCount, ccRethGratuitousArpsSent, ccRethNeighborAdvertsSent,
      ccRethRestores, ccRethLastChange,
      ccRethAddressTable, ccRethAddressEntry, ccRethAddrIndex, ccRethAddrType, ccRethAddr,
      ccRethAddrPrefixLength, ccRethAddrText,
    ] + sessionSyncObjects + witnessObjects + [
      ccRgStateChange, ccRgFailover, ccInterfaceMonitorFailure, ccInterfaceMonitorRecovery,
      ccIpMonitorFailure, ccIpMonitorRecovery, ccControlLinkDown, ccControlLinkUp,
      ccFabricLinkDown, ccFabricLinkUp, ccPeerLost, ccPeerFound, ccSplitBrainDetected,
      ccSplitBrainResolved, ccConfigMismatch, ccRethStatusChange, ccRethAddressRestored,
      ccLanLinkDown, ccLanLinkUp,
    ] + sessionSyncNotifications + witnessNotifications

  private static let byName: [String: MIBObject] = Dictionary(
    uniqueKeysWithValues: all.map { ($0.name, $0) })

  /// Scalars and columns by OID, for naming instances.
  private static let byOID: [OID: MIBObject] = Dictionary(
    uniqueKeysWithValues: all.filter { $0.kind == .scalar || $0.kind == .column }.map {
      ($0.oid, $0)
    })

  public static func object(named name: String) -> MIBObject? { byName[name] }

  /// The scalar or column an instance OID belongs to, and the instance suffix (`.0`, the index).
  public static func object(of instance: OID) -> (object: MIBObject, index: [UInt32])? {
    // Every scalar and column OID in this module is one arc below its entry, so at most a
    // couple of lengths need trying; longest first.
    var length = instance.count
    while length > objectsRoot.count {
      let candidate = OID(Array(instance.components[..<length]))
      if let object = byOID[candidate] {
        return (object, Array(instance.components[length...]))
      }
      length -= 1
    }
    return nil
  }

  /// `ccRgNodeState.1.0` for logs and test messages; the dotted OID when unknown.
  public static func name(of instance: OID) -> String {
    guard let (object, index) = object(of: instance) else { return instance.description }
    return ([object.name] + index.map(String.init)).joined(separator: ".")
  }

  // MARK: Builders

  /// A scalar of ccCluster, or of the group under `parent`.
  static func scalar(
    _ name: String, _ arc: UInt32, _ syntax: String, _ type: SMIType,
    under parent: OID = clusterRoot
  ) -> MIBObject {
    MIBObject(
      name: name, oid: parent + [arc], kind: .scalar, syntax: syntax, type: type,
      access: .readOnly, index: [], objects: [])
  }

  private static func table(_ name: String, _ arc: UInt32, entry: String) -> MIBObject {
    MIBObject(
      name: name, oid: objectsRoot + [arc], kind: .table, syntax: "SEQUENCE OF " + entry,
      type: nil, access: .notAccessible, index: [], objects: [])
  }

  private static func entry(
    _ name: String, in table: MIBObject, syntax: String, index: [String]
  ) -> MIBObject {
    MIBObject(
      name: name, oid: table.oid + [1], kind: .entry, syntax: syntax, type: nil,
      access: .notAccessible, index: index, objects: [])
  }

  private static func column(
    _ name: String, _ entry: MIBObject, _ arc: UInt32, _ syntax: String, _ type: SMIType,
    _ access: MIBObject.Access = .readOnly
  ) -> MIBObject {
    MIBObject(
      name: name, oid: entry.oid + [arc], kind: .column, syntax: syntax, type: type,
      access: access, index: [], objects: [])
  }

  static func notification(
    _ name: String, _ arc: UInt32, _ objects: [MIBObject]
  ) -> MIBObject {
    MIBObject(
      name: name, oid: notificationsRoot + [arc], kind: .notification, syntax: "", type: nil,
      access: nil, index: [], objects: objects.map(\.name))
  }
}
