import ArgumentParser

@main
struct CCCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ccctl",
    abstract: "Operate a ccagent chassis cluster.",
    subcommands: [Show.self, Request.self, Clear.self, CheckConfig.self, Simulate.self])
}
