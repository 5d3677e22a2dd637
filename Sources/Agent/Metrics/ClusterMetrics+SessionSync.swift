import Cluster
import MIB

/// Session sync (DESIGN §11) in the exposition, only when it is configured: the same figures
/// as the MIB's ccSessionSync group, with the MIB's status numbers.
extension ClusterMetrics {
  static func addSessionSync(_ sync: SessionSyncStatistics, to e: inout Exposition) {
    e.gauge(.sessionSyncStatus, [], Int(MIBView.sessionSyncStatus(sync.health)))
    e.gauge(.sessionSyncColdSync, [], sync.coldSync ? 1 : 0)
    e.counter(.sessionCommits, [], sync.commits)
    e.counter(.sessionCommitTimeouts, [], sync.commitTimeouts)
    if let counters = sync.counters {
      e.gauge(.sessionSyncSessions, [("cache", "internal")], clamped(counters.internalCache.active))
      e.gauge(.sessionSyncSessions, [("cache", "external")], clamped(counters.externalCache.active))
      e.counter(.sessionSyncSent, [], counters.packetsSent)
      e.counter(.sessionSyncReceived, [], counters.packetsReceived)
      e.counter(.sessionSyncLost, [], counters.lostMessages)
      e.counter(.sessionSyncMalformed, [], counters.malformedMessages)
    }
    if let commit = sync.lastCommit {
      e.gauge(.lastCommitSessions, [], clamped(commit.sessions))
      e.gauge(.lastCommitDuration, [], Double(commit.milliseconds) / 1000)
      e.gauge(.lastCommitTimedOut, [], commit.timedOut ? 1 : 0)
    }
  }

  private static func clamped(_ value: UInt64) -> Int { Int(clamping: value) }
}
