import Cluster
import ShellSupport

/// `conntrackd -C FILE …`: the client side of the conntrackd the host runs (its own unit, or
/// the test's daemon). The configuration file names the daemon's UNIX socket, so every
/// command reaches that one daemon; ccagentd never starts one (`-d` is never passed). With a
/// conntrackd 1.4 and a socket named in the file, the commands it knows go straight to the
/// socket (`ConntrackdSocket`); the others, and any other version, run the binary.
struct ConntrackdClient: Sendable {
  var binary: String = "/usr/sbin/conntrackd"
  var config: String
  /// Where requests go directly; nil: every command runs the binary.
  var socketPath: String? = nil

  /// A client for `config`, asking the socket directly when it can; why not when it cannot.
  static func make(binary: String, config: String) -> (client: ConntrackdClient, why: String?) {
    var client = ConntrackdClient(binary: binary, config: config)
    guard let text = try? FileReader.readText(config) else {
      return (client, "\(config) cannot be read")
    }
    guard let path = ConntrackdConfigCheck.socketPath(text) else {
      return (client, "\(config) names no UNIX socket")
    }
    let version = ChildProcess.run([binary, "-v"], timeout: .seconds(2))
    // "Connection tracking userspace daemon v1.4.7. Licensed under GPLv2."
    guard version.succeeded, version.output.contains(" v1.4.") else {
      return (client, "not a conntrackd 1.4 (\(version.output.prefix(80)))")
    }
    client.socketPath = path
    return (client, nil)
  }

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
    if let socketPath, let code = ConntrackdSocket.requests[arguments] {
      return ConntrackdSocket.request(code, path: socketPath, timeout: timeout)
    }
    return ChildProcess.run([binary, "-C", config] + arguments, timeout: timeout)
  }
}
