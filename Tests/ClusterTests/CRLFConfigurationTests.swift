import Cluster
import Testing

@Suite("Configuration files with CR LF line ends and huge lines (issue 13 item 16)")
struct CRLFConfigurationTests {
  static let text = pairConfiguration(
    "set chassis cluster redundancy-group 1 preempt delay 7\nset system host-name fw")

  @Test func crlfFileParsesLikeTheLFFile() throws {
    let crlf = crlf(Self.text)
    #expect(crlf.contains("\r\n"))
    let lf = ConfigurationParser.parse(Self.text, file: "lf.conf")
    let result = ConfigurationParser.parse(crlf, file: "crlf.conf")
    #expect(result.errors.isEmpty, "\(result.errors)")
    let configuration = try #require(result.configuration)
    #expect(configuration == lf.configuration)
    #expect(configuration.redundancyGroups[1]?.preempt?.delaySeconds == 7)
    // Line numbers are those of the file: the ignored `set system` notice is on line 11.
    #expect(result.diagnostics.map(\.line) == lf.diagnostics.map(\.line))
    #expect(result.diagnostics.contains { $0.line == 11 })
  }

  @Test func crlfErrorsPointAtTheRightLineAndColumn() {
    let text = crlf(pairConfiguration("set chassis cluster bogus 3"))
    let result = ConfigurationParser.parse(text, file: "f.conf")
    #expect(
      result.errors.map(\.description) == [
        "f.conf:10:21: unknown chassis cluster statement 'bogus'"
      ])
  }

  @Test func aLoneCarriageReturnIsWhitespace() {
    let result = ConfigurationParser.parse(
      "set chassis cluster cluster-id 1\r\n"
        + "set chassis cluster redundancy-group 0 node 0 priority 200\r\r\n"
        + "set chassis cluster redundancy-group 0 node 1 priority 100\r\n",
      file: "f.conf")
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.configuration?.redundancyGroups[0]?.priority == [200, 100])
  }

  @Test func megabyteLineGetsAShortError() {
    let huge = "set chassis cluster cluster-id " + String(repeating: "9", count: 1 << 20)
    let result = ConfigurationParser.parse(
      "set chassis cluster cluster-id 1\n" + huge + "\n", file: "f.conf")
    #expect(result.configuration == nil)
    let message = result.errors.first?.description ?? ""
    #expect(message.hasPrefix("f.conf:2:1: line is 1048607 bytes long (at most 4096)"))
    #expect(message.count < 120, "\(message.prefix(300))")
  }

  @Test func scenarioFilesAcceptCRLFToo() {
    let text = crlf(
      pairConfiguration() + "---\n+0s boot node0\n+0s boot node1\n+5s status\n")
    guard case .success(let scenario) = ScenarioParser.parse(text, file: "s.scenario") else {
      Issue.record("CRLF scenario does not parse")
      return
    }
    #expect(scenario.steps.count == 3)
  }
}

/// `text` with every LF turned into CR LF.
private func crlf(_ text: String) -> String {
  text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
}
