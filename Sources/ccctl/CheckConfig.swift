import ArgumentParser
import Cluster

struct CheckConfig: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-config",
    abstract: "Validate a configuration file without running it.")

  @Argument(help: "The configuration file (Junos 'set' statements).")
  var file: String

  @Flag(help: "Do not print notices about ignored statements.")
  var quiet = false

  func run() throws {
    let text = try readTextFile(file)
    let result = ConfigurationParser.parse(text, file: file)
    for diagnostic in result.diagnostics where !(quiet && diagnostic.severity == .notice) {
      printError(diagnostic.description)
    }
    guard let configuration = result.configuration else {
      throw ExitCode(1)
    }
    for warning in DaemonRequirements.warnings(for: configuration, file: file) {
      printError(warning.description)
    }
    print(ConfigurationSummary.line(configuration, file: file))
  }
}
