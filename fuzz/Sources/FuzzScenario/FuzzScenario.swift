import Cluster

// Scenario parser (`ccctl simulate`): configuration part, `---`, timed steps.
func fuzzScenario(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data else { return 0 }
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  switch ScenarioParser.parse(text, file: "fuzz.scenario") {
  case .success(let scenario):
    for diagnostic in scenario.diagnostics { _ = diagnostic.description }
    _ = scenario.steps.count
  case .failure(.invalid(let diagnostics)):
    for diagnostic in diagnostics { _ = diagnostic.description }
  }
  return 0
}
