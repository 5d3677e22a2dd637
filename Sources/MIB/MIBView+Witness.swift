import Cluster

extension MIBView {
  /// ccWitnessStatus; notConfigured(4) without a witness.
  public static func witnessStatus(_ reachability: WitnessReachability?) -> Int32 {
    switch reachability {
    case .up?: 1
    case .lost?: 2
    case .unknown?: 3
    case nil: 4
    }
  }
}

extension Builder {
  /// ccWitness: served with or without a witness, like ccSessionSync.
  mutating func addWitness(_ witness: WitnessStatus?) {
    typealias D = MIBDefinition
    addScalars([
      (D.ccWitnessConfigured, .truthValue(witness != nil)),
      (D.ccWitnessStatus, .integer(MIBView.witnessStatus(witness?.reachability))),
      (D.ccWitnessAddress, .displayString(witness?.address ?? "", limit: 64)),
      (D.ccWitnessPort, gauge(witness?.port ?? 0)),
      (D.ccWitnessGrantHolder, integer(witness?.grantHolder ?? -1)),
      (D.ccWitnessGrantConfirmed, .truthValue(witness?.grantConfirmed ?? false)),
      (D.ccWitnessHoldsGrant, .truthValue(witness?.holdsGrant ?? false)),
      (D.ccWitnessClaiming, .truthValue(witness?.claiming ?? false)),
      (
        D.ccWitnessLastContact,
        ticks(witness?.lastContactMilliseconds.map(ClusterTime.milliseconds))
      ),
      (D.ccWitnessRequestsSent, .counter64(witness?.requestsSent ?? 0)),
      (D.ccWitnessRepliesReceived, .counter64(witness?.repliesReceived ?? 0)),
      (D.ccWitnessRepliesRejected, .counter64(witness?.replyErrors ?? 0)),
    ])
  }
}
