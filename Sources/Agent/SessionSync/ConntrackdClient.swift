/// `conntrackd -C FILE …`: the client side of the conntrackd the host runs (its own unit, or
/// the test's daemon). The configuration file names the daemon's UNIX socket, so every
/// command reaches that one daemon; ccagentd never starts one (`-d` is never passed).
struct ConntrackdClient: Sendable {
  var binary: String = "/usr/sbin/conntrackd"
  var config: String

  /// How one command ended.
  struct Outcome: Sendable, Equatable {
    enum Status: Sendable, Equatable {
      case exited(Int32)
      case signalled(Int32)
      /// Still running at the deadline: killed.
      case timedOut
      case notStarted(String)
    }
    var status: Status
    /// stdout and stderr together (conntrackd logs errors on stderr), at most 64 KiB.
    var output: String
    var elapsed: Duration

    var succeeded: Bool { status == .exited(0) }

    /// "exit status 1: [ERROR] can't connect: is conntrackd running?…" for the records.
    var failure: String {
      let text = output.split(separator: "\n").last.map(String.init) ?? ""
      switch status {
      case .exited(0): return "ok"
      case .exited(let code): return "exit status \(code)" + (text.isEmpty ? "" : ": \(text)")
      case .signalled(let signal): return "killed by signal \(signal)"
      case .timedOut: return "no answer within the timeout"
      case .notStarted(let why): return "could not be started: \(why)"
      }
    }
  }

  func run(_ arguments: [String], timeout: Duration) -> Outcome {
    ChildProcess.run([binary, "-C", config] + arguments, timeout: timeout)
  }
}
