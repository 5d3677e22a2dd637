import ArgumentParser

@main
struct CCAgentD: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ccagentd", abstract: "The ccagent chassis-cluster daemon.")

  func run() async throws {}
}
