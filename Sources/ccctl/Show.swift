import ArgumentParser
import Cluster

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the cluster as this node sees it (show chassis cluster …).")

  @Argument(help: "status, information, interfaces or statistics.")
  var view: ControlRequest.View = .status

  @Flag(help: "Print JSON instead of the Junos-like text.")
  var json = false

  @OptionGroup var socket: SocketOption

  func run() throws {
    let response = try ControlClient.send(
      ControlRequest(command: .show, view: view), socket: socket.socket)
    guard response.ok else { throw ControlClient.fail(response.error ?? "request failed") }
    if json {
      switch view {
      case .status: print(JSONView.encode(response.status, pretty: true))
      case .information: print(JSONView.encode(response.information, pretty: true))
      case .interfaces: print(JSONView.encode(response.interfaces, pretty: true))
      case .statistics: print(JSONView.encode(response.statistics, pretty: true))
      }
    } else {
      print(response.text ?? "", terminator: "")
    }
  }
}

extension ControlRequest.View: ExpressibleByArgument {}
