import Cluster
import FuzzSupport

// conntrackd's text, read two ways: `conntrackd -s` output (ConntrackdStatistics, what the
// session-sync service reports) and a conntrackd.conf (ConntrackdConfigCheck, `ccctl
// check-config`) checked against the fixture's fabric and reth addresses. Invalid UTF-8 is
// repaired, as String(decoding:as:) does with the command's output and the file.
func fuzzConntrackd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
  if ConntrackdStatistics.parse(text) != nil,
    !text.contains("cache internal") && !text.contains("cache external")
  {
    fatalError("statistics parsed from text without a cache section")
  }
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
  let warnings = ConntrackdConfigCheck.warnings(
    text, file: "conntrackd.conf", cluster: FuzzFixture.configuration)
  for warning in warnings {
    guard (1...max(lines, 1)).contains(warning.line) else {
      fatalError("warning on line \(warning.line) of \(lines): \(warning.message)")
    }
    _ = warning.description
  }
  return 0
}
