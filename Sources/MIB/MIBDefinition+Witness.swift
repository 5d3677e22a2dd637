/// ccWitness (DESIGN §12): the witness as this node sees it, and its notifications. The LAN
/// heartbeat path, the other half of split-brain prevention, is in ccCluster beside the
/// control and fabric links.
extension MIBDefinition {
  public static let ccWitnessConfigured = witness(
    "ccWitnessConfigured", 1, "TruthValue", .integer32)
  public static let ccWitnessStatus = witness("ccWitnessStatus", 2, "INTEGER", .integer32)
  public static let ccWitnessAddress = witness(
    "ccWitnessAddress", 3, "DisplayString", .octetString)
  public static let ccWitnessPort = witness("ccWitnessPort", 4, "Unsigned32", .unsigned32)
  public static let ccWitnessGrantHolder = witness(
    "ccWitnessGrantHolder", 5, "Integer32", .integer32)
  public static let ccWitnessGrantConfirmed = witness(
    "ccWitnessGrantConfirmed", 6, "TruthValue", .integer32)
  public static let ccWitnessHoldsGrant = witness(
    "ccWitnessHoldsGrant", 7, "TruthValue", .integer32)
  public static let ccWitnessClaiming = witness("ccWitnessClaiming", 8, "TruthValue", .integer32)
  public static let ccWitnessLastContact = witness(
    "ccWitnessLastContact", 9, "TimeStamp", .timeTicks)
  public static let ccWitnessRequestsSent = witness(
    "ccWitnessRequestsSent", 10, "Counter64", .counter64)
  public static let ccWitnessRepliesReceived = witness(
    "ccWitnessRepliesReceived", 11, "Counter64", .counter64)
  public static let ccWitnessRepliesRejected = witness(
    "ccWitnessRepliesRejected", 12, "Counter64", .counter64)

  public static let ccWitnessLost = notification(
    "ccWitnessLost", 23, [ccLocalNodeId, ccWitnessStatus, ccWitnessLastContact])
  public static let ccWitnessFound = notification(
    "ccWitnessFound", 24, [ccLocalNodeId, ccWitnessStatus, ccWitnessGrantHolder])
  public static let ccWitnessGrantChange = notification(
    "ccWitnessGrantChange", 25, [ccLocalNodeId, ccWitnessGrantHolder, ccWitnessGrantConfirmed])

  /// In file order.
  static let witnessObjects: [MIBObject] = [
    ccWitnessConfigured, ccWitnessStatus, ccWitnessAddress, ccWitnessPort, ccWitnessGrantHolder,
    ccWitnessGrantConfirmed, ccWitnessHoldsGrant, ccWitnessClaiming, ccWitnessLastContact,
    ccWitnessRequestsSent, ccWitnessRepliesReceived, ccWitnessRepliesRejected,
  ]
  static let witnessNotifications = [ccWitnessLost, ccWitnessFound, ccWitnessGrantChange]

  private static func witness(
    _ name: String, _ arc: UInt32, _ syntax: String, _ type: SMIType
  ) -> MIBObject {
    scalar(name, arc, syntax, type, under: witnessRoot)
  }
}
