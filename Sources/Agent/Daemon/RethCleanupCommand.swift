import ArgumentParser
import Cluster

/// `ccagentd --cleanup-reths`: the configuration read as for a start (errors refused the same
/// way, key files left unread), the node's lock taken so a running agent is never undercut,
/// then `RethCleanup`. One line for the journal (ExecStopPost='s output goes there).
struct RethCleanupCommand {
  var config: String
  var node: Int?
  var controlSocket: String?
  var stateDirectory: String

  func run() throws {
    let loaded: LoadedConfiguration
    do {
      loaded = try ConfigurationLoader.load(
        path: config, node: node, controlSocket: controlSocket, keys: false)
    } catch {
      for line in error.lines { printStandardError(line) }
      printStandardError("ccagentd: --cleanup-reths: the configuration has errors; nothing done")
      throw ExitCode(1)
    }
    let lock: InstanceLock
    do {
      makeDirectories(stateDirectory, mode: 0o750)
      lock = try InstanceLock(
        path: "\(stateDirectory)/node\(loaded.localNode).lock",
        holder: "as node\(loaded.localNode) with the state directory \(stateDirectory)")
    } catch {
      printStandardError("ccagentd: --cleanup-reths: \(error); nothing done")
      throw ExitCode(1)
    }
    defer { withExtendedLifetime(lock) {} }
    let plans = loaded.configuration.rethPlans(on: loaded.localNode)
    let outcome: RethCleanup.Outcome
    do {
      outcome = try RethCleanup.run(
        plans: plans,
        sysctlRecord: RethSysctls.recordPath(
          controlSocket: loaded.configuration.controlSocketPath))
    } catch {
      printStandardError("ccagentd: --cleanup-reths: \(error)")
      throw ExitCode(1)
    }
    for failure in outcome.failed {
      printStandardError("ccagentd: --cleanup-reths: \(failure.reth): \(failure.error)")
    }
    for path in outcome.sysctlsFailed {
      printStandardError("ccagentd: --cleanup-reths: could not write back \(path)")
    }
    let reths = outcome.cleaned.isEmpty ? "no reths" : outcome.cleaned.joined(separator: ", ")
    printStandardError(
      "ccagentd: node\(loaded.localNode): \(reths) taken off the LAN, "
        + "\(outcome.sysctlsRestored) sysctl value(s) written back")
    guard outcome.succeeded else { throw ExitCode(1) }
  }
}
