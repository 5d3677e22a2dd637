import ArgumentParser

struct CCCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ccctl",
    abstract: "Operate a ccagent chassis cluster.",
    discussion: """
      Junos forms work too: 'ccctl show chassis cluster status|information|interfaces|statistics',
      'ccctl request chassis cluster failover …' and 'ccctl clear chassis cluster failover-count'
      are the same commands as 'ccctl show status', 'ccctl request failover …' and
      'ccctl clear failover-count'.
      """,
    subcommands: [
      Show.self, Request.self, Clear.self, CheckConfig.self, GenerateKey.self, Simulate.self,
    ])
}
