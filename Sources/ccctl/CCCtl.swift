import ArgumentParser

@main
struct CCCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ccctl",
    abstract: "Operate a ccagent chassis cluster.",
    subcommands: [CheckConfig.self, Simulate.self])
}
