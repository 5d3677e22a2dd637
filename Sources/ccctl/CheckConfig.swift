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
    for warning in ConntrackdConfigCheck.settingsWarnings(configuration, file: file) {
      printError(warning.description)
    }
    if let sync = configuration.sessionSync {
      if let text = try? readTextFile(sync.conntrackdConfig) {
        for warning in ConntrackdConfigCheck.warnings(
          text, file: sync.conntrackdConfig, cluster: configuration)
        {
          printError(warning.description)
        }
      } else {
        printError(
          "\(file): warning: session-sync conntrackd config \(sync.conntrackdConfig) "
            + "cannot be read here: its fabric and reth addresses are not checked")
      }
    }
    print(ConfigurationSummary.line(configuration, file: file))
  }
}
