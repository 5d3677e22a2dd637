import Cluster

/// `ccagentd --cleanup-reths`, the unit's `ExecStopPost=`: what an agent left on the LAN is
/// taken off it, however that agent ended (stopped, killed, crashed), so a dead agent never
/// leaves a second owner of the shared MAC and addresses. Every configured reth of this node
/// is deleted (macvlan style: the link goes, down with it) or has its addresses taken off its
/// member (member style), and the sysctls the agent changed are written back from its record
/// (`RethSysctls.recordPath`). After a clean stop there is nothing left to do: it only checks.
enum RethCleanup {
  struct Outcome {
    var cleaned: [String] = []
    var failed: [(reth: String, error: String)] = []
    /// Sysctl values written back from the record, and the paths that could not be.
    var sysctlsRestored = 0
    var sysctlsFailed: [String] = []

    var succeeded: Bool { failed.isEmpty && sysctlsFailed.isEmpty }
  }

  /// Runs in the network namespace of the calling thread.
  static func run(plans: [RethPlan], sysctlRecord: String) throws -> Outcome {
    var outcome = Outcome()
    var specs: [RethSpec] = []
    for plan in plans {
      guard let spec = RethSpec(plan) else {
        outcome.failed.append((plan.name, "its addresses do not parse"))
        continue
      }
      specs.append(spec)
    }
    let recorded = RethSysctls.load(sysctlRecord).count
    let controller = try RethController(specs: specs, sysctlRecord: sysctlRecord)
    for spec in specs {
      do {
        try controller.remove(spec.name)
        outcome.cleaned.append(spec.name)
      } catch {
        outcome.failed.append((spec.name, "\(error)"))
      }
    }
    // The rest of the record: reths the file no longer names, written back all the same.
    outcome.sysctlsFailed = controller.restoreSysctls()
    outcome.sysctlsRestored = recorded - outcome.sysctlsFailed.count
    return outcome
  }
}
