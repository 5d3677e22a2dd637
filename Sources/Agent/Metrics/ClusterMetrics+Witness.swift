import Cluster
import MIB

/// The witness (DESIGN §12) in the exposition, only when one is configured.
extension ClusterMetrics {
  static func addWitness(_ w: WitnessStatus, takenAt: ClusterTime, to e: inout Exposition) {
    e.gauge(.witnessStatus, [], Int(MIBView.witnessStatus(w.reachability)))
    e.gauge(.witnessGrantHolder, [], w.grantHolder ?? -1)
    e.gauge(.witnessHoldsGrant, [], w.holdsGrant ? 1 : 0)
    e.gauge(.witnessClaiming, [], w.claiming ? 1 : 0)
    if let contact = w.lastContactMilliseconds {
      e.gauge(
        .witnessLastContactAge, [], Double(max(0, takenAt.milliseconds - contact)) / 1000)
    }
    e.counter(.witnessRequests, [], w.requestsSent)
    e.counter(.witnessReplies, [], w.repliesReceived)
    e.counter(.witnessRejected, [], w.replyErrors)
  }
}
