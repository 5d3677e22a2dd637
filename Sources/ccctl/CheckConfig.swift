import ArgumentParser
import Cluster
import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

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
    for warning in DaemonRequirements.warnings(for: configuration, file: file)
      + DaemonRequirements.securityWarnings(for: configuration, file: file)
    {
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
    // The key files as ccagentd will read them: a refusal here is a refusal to start there.
    var keyProblems = 0
    for keyFile in [
      configuration.authenticationKeyFile, configuration.previousAuthenticationKeyFile,
    ] {
      guard let keyFile else { continue }
      if access(keyFile, F_OK) != 0 && errno == ENOENT {
        // The file may be checked before the key is made or copied: say what is missing.
        printError(
          "\(file): warning: \(keyFile) does not exist (yet): ccagentd refuses to start "
            + "without it; make it with 'ccctl generate-key \(keyFile)' on one node and copy it")
        continue
      }
      do {
        _ = try KeyFile.load(keyFile)
      } catch {
        printError("\(file): error: \(error)")
        keyProblems += 1
      }
    }
    guard keyProblems == 0 else { throw ExitCode(1) }
    print(ConfigurationSummary.line(configuration, file: file))
  }
}
