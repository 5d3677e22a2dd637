import ArgumentParser
import Cluster

struct Clear: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "clear failover-count")

  @Argument(help: "failover-count")
  var what: String

  @OptionGroup var socket: SocketOption

  func validate() throws {
    guard what == "failover-count" else {
      throw ValidationError("only 'clear failover-count' exists")
    }
  }

  func run() throws {
    let response = try ControlClient.send(
      ControlRequest(command: .clearFailoverCount), socket: socket.socket)
    guard response.ok else { throw ControlClient.fail(response.error ?? "request failed") }
    print("Cleared failover-count for all redundancy-groups.")
  }
}
