#if canImport(Glibc)
  import Glibc
#endif

/// Round-robin realtime scheduling for every thread of the agent (`--realtime-priority`), as
/// corosync does for its token: a heartbeat that waits behind other work for the CPU reads as
/// a lost peer. Measured in the session bench at 10 ms heartbeats on two cores: the resync
/// after each failover (conntrackd committing, dumping and bulk-sending ≈ 8 000 sessions on
/// both nodes) delayed heartbeats past the 30 ms threshold: 46 takeovers of a peer that was
/// alive, a split brain each; at RR 10, 17 (the kernel's packet processing waits too, hence
/// `check-config`'s warning for session sync detected in under 100 ms). The agent uses little CPU, and the kernel's
/// realtime throttling (`sched_rt_runtime_us`) leaves the rest of the host 5 % even so.
/// Children (notify scripts, conntrackd) start as normal processes (`ChildProcess.attributes`).
enum RealtimeScheduling {
  enum Outcome: Equatable {
    case off
    case applied(priority: Int32, threads: Int)
    /// Already realtime when started (the unit's `CPUSchedulingPolicy=rr`): left as it is.
    case inherited(priority: Int32)
    /// errno of the first thread that refused (EPERM without CAP_SYS_NICE, or a unit with
    /// RestrictRealtime=yes).
    case refused(errno: Int32)
  }

  static let policy = Int32(SCHED_RR)

  /// Sets `priority` on every thread the process has now; threads made later inherit it from
  /// their creator (pthread's default). 0 leaves the scheduling alone, and so does a process
  /// that the service manager started realtime (its `RestrictRealtime=yes` would refuse us).
  static func apply(priority: Int32) -> Outcome {
    guard priority > 0 else { return .off }
    let now = current()
    if now.policy == SCHED_RR || now.policy == SCHED_FIFO {
      return .inherited(priority: now.priority)
    }
    var parameters = sched_param(sched_priority: priority)
    var count = 0
    for thread in threads() {
      guard sched_setscheduler(thread, policy, &parameters) == 0 else {
        return .refused(errno: errno)
      }
      count += 1
    }
    return .applied(priority: priority, threads: count)
  }

  /// The calling thread's policy and priority (tests, the log).
  static func current() -> (policy: Int32, priority: Int32) {
    var parameters = sched_param()
    _ = sched_getparam(0, &parameters)
    return (sched_getscheduler(0), parameters.sched_priority)
  }

  /// Thread ids from /proc/self/task; this thread's own when it cannot be read.
  static func threads() -> [pid_t] {
    guard let directory = opendir("/proc/self/task") else { return [0] }
    defer { closedir(directory) }
    var ids: [pid_t] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if let id = pid_t(name) { ids.append(id) }
    }
    return ids.isEmpty ? [0] : ids
  }
}
