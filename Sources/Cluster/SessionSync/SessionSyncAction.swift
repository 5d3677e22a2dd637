/// What conntrackd must be told (DESIGN §11): the core decides, the shell's session-sync
/// service runs `conntrackd -C FILE …`, `simulate` prints it. In a batch a `commit` comes
/// first, before the data-plane actions that bring the reths up; the others come after them.
public enum SessionSyncAction: Sendable, Equatable {
  /// This node became primary for these RGs (with reths): commit the external cache, the
  /// peer's sessions, into the kernel (`-c`) before the reths come up and the GARPs go out.
  /// The batch's data-plane actions wait for it (the heartbeats do not), at most
  /// `timeoutMilliseconds`, then go on (and the shell says so).
  case commit(groups: [Int], timeoutMilliseconds: Int)
  /// After the commit, without holding anything back: flush the caches (`-f`, skipped while
  /// the peer is primary for other RGs with reths: its sessions are in the external cache),
  /// resync the internal cache with the kernel (`-R`) and bulk-send it to the peer (`-B`).
  case resync(groups: [Int], flush: Bool)
  /// This node is a backup now (secondary, secondary-hold): shorten the kernel timers of the
  /// entries it no longer forwards (`-t`) and ask the primary for its sessions (`-n`).
  case standBy(groups: [Int])
  /// Ineligible or disabled: only shorten the stale entries' timers (`-t`).
  case fault(groups: [Int])
  /// A backup whose conntrackd injects the peer's sessions into the kernel
  /// (`DisableExternalCache On`): only ask the primary for its sessions (`-n`). Its kernel
  /// entries are the primary's sessions, kept for the next takeover: `-t` would expire them
  /// (measured: all gone after PurgeTimeout, and the resync does not restore their timers).
  case requestResync(groups: [Int])

  /// The conntrackd client commands, in order (each is `conntrackd -C FILE` plus these).
  public var commands: [[String]] {
    switch self {
    case .commit: [["-c"]]
    case .resync(_, let flush): (flush ? [["-f"]] : []) + [["-R"], ["-B"]]
    case .standBy: [["-t"], ["-n"]]
    case .fault: [["-t"]]
    case .requestResync: [["-n"]]
    }
  }

  public var groups: [Int] {
    switch self {
    case .commit(let groups, _), .resync(let groups, _), .standBy(let groups),
      .fault(let groups), .requestResync(let groups):
      groups
    }
  }

  /// The primary is asked for its sessions (`-n`): the simulation delivers them a moment later.
  public var asksForBulkSync: Bool {
    switch self {
    case .standBy, .requestResync: true
    default: false
    }
  }

  /// The shell must finish this one before it carries out the batch's data-plane actions.
  public var holdsBatch: Bool {
    if case .commit = self { return true }
    return false
  }
}

extension SessionSyncAction: CustomStringConvertible {
  /// `commit`, `resync`, `stand-by`, `fault` or `request-resync`.
  public var kind: String {
    switch self {
    case .commit: "commit"
    case .resync: "resync"
    case .standBy: "stand-by"
    case .fault: "fault"
    case .requestResync: "request-resync"
    }
  }

  /// `commit for rg1: conntrackd -c (at most 2000 ms)`.
  public var description: String {
    let rgs = groups.map { "rg\($0)" }.joined(separator: ",")
    let line = commands.map { "conntrackd " + $0.joined(separator: " ") }.joined(separator: "; ")
    switch self {
    case .commit(_, let timeout): return "\(kind) for \(rgs): \(line) (at most \(timeout) ms)"
    default: return "\(kind) for \(rgs): \(line)"
    }
  }
}
