import Cluster

// Configuration parser. Property: any accepted configuration, printed in canonical form, parses
// again without errors to the same canonical form (the digest both nodes compare).
func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data else { return 0 }
  // Invalid UTF-8 is repaired, as String(decoding:as:) does when the daemon reads a file.
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let result = ConfigurationParser.parse(text, file: "fuzz.conf")
  for diagnostic in result.diagnostics { _ = diagnostic.description }
  guard let configuration = result.configuration, result.errors.isEmpty else { return 0 }
  let canonical = ConfigurationDigest.canonicalStatements(of: configuration)
  _ = ConfigurationDigest.digest(of: configuration)
  let again = ConfigurationParser.parse(canonical.joined(separator: "\n"), file: "canonical.conf")
  guard let reparsed = again.configuration, again.errors.isEmpty else {
    fatalError("canonical form rejected: \(again.errors.map(\.description))\n\(canonical)")
  }
  let canonicalAgain = ConfigurationDigest.canonicalStatements(of: reparsed)
  if canonicalAgain != canonical {
    fatalError("canonical form not stable:\n\(canonical)\n---\n\(canonicalAgain)")
  }
  return 0
}
