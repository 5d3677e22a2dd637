import ArgumentParser
import Cluster
import ShellSupport

struct Simulate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a scenario against two simulated nodes running the real state machine.",
    discussion: """
      FILE holds the configuration's 'set' lines, a line '---', then one event per line, each
      starting with a time offset from the previous event: boot|crash node0|node1;
      link down|up NODE IFNAME; ip unreachable|reachable NODE ADDR; cut|heal control-link|fabric-link;
      failover redundancy-group N node M; failover reset redundancy-group N; clear failover-count;
      status.
      """)

  @Argument(help: "The scenario file.")
  var file: String

  @Flag(help: "Print one JSON object per line.")
  var json = false

  func run() throws {
    let text = try readTextFile(file)
    switch ScenarioParser.parse(text, file: file) {
    case .failure(.invalid(let diagnostics)):
      for diagnostic in diagnostics where diagnostic.severity != .notice {
        printError(diagnostic.description)
      }
      throw ExitCode(1)
    case .success(var scenario):
      // As ccagentd does: the conntrackd file decides whether a takeover commits.
      scenario.configuration = ConntrackdFile.applied(to: scenario.configuration)
      for output in Simulator.run(scenario) {
        print(json ? JSONView.line(output) : output.text)
      }
    }
  }
}
