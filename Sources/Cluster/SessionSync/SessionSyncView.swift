/// The session-sync part of `show chassis cluster statistics`, laid out as Junos shows
/// `show chassis cluster data-plane statistics` ("Services Synchronized": what this node's
/// conntrackd sent, what it received from the peer's), then the sync's own state.
enum SessionSyncView {
  static func statistics(_ s: SessionSyncStatistics) -> String {
    var out = "Services Synchronized (conntrackd \(s.conntrackdConfig)):\n"
    out += "    " + "Service name".padded(to: 42) + "RTOs sent".padded(to: 13) + "RTOs received\n"
    let c = s.counters
    for (name, sent, received) in [
      ("Session create", c?.internalCache.created, c?.externalCache.created),
      ("Session change", c?.internalCache.updated, c?.externalCache.updated),
      ("Session close", c?.internalCache.destroyed, c?.externalCache.destroyed),
    ] {
      out +=
        "    " + name.padded(to: 42) + number(sent).padded(to: 13) + number(received) + "\n"
    }
    out += "Session sync:\n"
    out += "    Health: \(s.health.rawValue)" + (s.healthDetail.map { " (\($0))" } ?? "") + "\n"
    out += "    Cold sync: " + (s.coldSync ? "in progress (CS)" : "no") + "\n"
    if c?.injectsDirectly == true || !s.externalCache {
      out +=
        "    Sessions: \(number(c?.internalCache.active)) local; the peer's are injected into "
        + "the kernel as they arrive (DisableExternalCache on: no commit)\n"
    } else {
      out +=
        "    Sessions: \(number(c?.internalCache.active)) local, "
        + "\(number(c?.externalCache.active)) synced from the peer\n"
    }
    out +=
      "    Messages sent: \(number(c?.packetsSent)), received: \(number(c?.packetsReceived)), "
      + "lost: \(number(c?.lostMessages)), malformed: \(number(c?.malformedMessages))\n"
    if let commit = s.lastCommit {
      let groups = commit.groups.map { "rg\($0)" }.joined(separator: ",")
      out +=
        "    Last commit: \(commit.sessions) sessions in \(commit.milliseconds) ms for \(groups)"
        + (commit.timedOut ? " (timed out: \(commit.error ?? "no answer"))" : "") + "\n"
    } else {
      out += "    Last commit: never\n"
    }
    out += "    Commits: \(s.commits), timed out: \(s.commitTimeouts)\n"
    return out
  }

  private static func number(_ value: UInt64?) -> String {
    value.map { String($0) } ?? "-"
  }
}
