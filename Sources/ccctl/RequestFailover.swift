import ArgumentParser
import Cluster

struct Request: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Operator requests.", subcommands: [Failover.self])

  struct Failover: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "request failover redundancy-group N node M | request failover reset redundancy-group N",
      discussion:
        "Examples: ccctl request failover redundancy-group 1 node 1\n          ccctl request failover reset redundancy-group 1"
    )

    @Argument(help: "[reset] redundancy-group N [node M]")
    var words: [String] = []

    @OptionGroup var socket: SocketOption

    func run() throws {
      var rest = words[...]
      let reset = rest.first == "reset"
      if reset { rest = rest.dropFirst() }
      guard rest.first == "redundancy-group", rest.count >= 2,
        let group = Int(rest[rest.startIndex + 1])
      else {
        throw ValidationError("expected 'redundancy-group N'")
      }
      rest = rest.dropFirst(2)
      let request: ControlRequest
      if reset {
        guard rest.isEmpty else {
          throw ValidationError("unexpected '\(rest.joined(separator: " "))'")
        }
        request = ControlRequest(command: .failoverReset, group: group)
      } else {
        guard rest.first == "node", rest.count == 2, let node = Int(rest[rest.startIndex + 1])
        else {
          throw ValidationError("expected 'node M' after the redundancy-group")
        }
        request = ControlRequest(command: .failover, group: group, node: node)
      }
      let response = try ControlClient.send(request, socket: socket.socket)
      guard response.ok else { throw ControlClient.fail(response.error ?? "request failed") }
      print(
        reset
          ? "Manual failover of redundancy-group \(group) reset."
          : "Initiated manual failover for redundancy-group \(group).")
    }
  }
}
