import Cluster
import ClusterTestSupport
import Testing

/// The committed seeds of the fuzz targets (fuzz/corpus/, written by fuzz/make_seeds.py) read
/// by the decoders they are for, and the two traps the fuzzers found.
@Suite struct FuzzSeedTests {
  /// fuzz/corpus/<name>/, three directories up from this file; each seed's name and text.
  static func seeds(_ name: String, filePath: String = #filePath) -> [(String, String)] {
    var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // FuzzSeedTests.swift, ClusterTests, Tests
    let directory = (parts + ["fuzz", "corpus", Substring(name)]).joined(separator: "/")
    let listing = runCommand(["ls", directory])
    return listing.output.split(separator: "\n").compactMap { file in
      readFile(directory + "/" + file).map { (String(file), $0) }
    }
  }

  @Test func everyControlSeedLineDecodesAsCcctlSentIt() throws {
    let seeds = Self.seeds("control")
    #expect(seeds.count >= 9)
    for (name, text) in seeds {
      for line in text.split(separator: "\n") {
        let request = try JSONView.decode(ControlRequest.self, from: String(line))
        #expect(JSONView.encode(request) == line, "\(name)")
      }
    }
  }

  @Test func everyConntrackdSeedIsRead() throws {
    let cluster = try #require(
      ConfigurationParser.parse(sessionConfiguration(), file: "c").configuration)
    let seeds = Self.seeds("conntrackd")
    #expect(seeds.count >= 5)
    for (name, text) in seeds {
      let statistics = ConntrackdStatistics.parse(text)
      #expect((statistics != nil) == (name == "statistics"), "\(name)")
      _ = ConntrackdConfigCheck.warnings(text, file: name, cluster: cluster)
    }
  }

  /// FuzzConntrackd: an `Address Ignore` entry of a lone "/" indexed an empty split. It covers
  /// nothing, so the reth stays unignored.
  @Test func anIgnoredAddressOfALoneSlashCoversNothing() throws {
    let cluster = try #require(
      ConfigurationParser.parse(sessionConfiguration(), file: "c").configuration)
    let warnings = ConntrackdConfigCheck.warnings(
      "General { Address Ignore { IPv4_address / } }\n", file: "ct.conf", cluster: cluster)
    #expect(warnings.contains { $0.message.contains("does not ignore reth0's address") })
  }

  @Test(arguments: [
    ("GET", "/metrics", MetricsRoute.metrics),
    ("GET", "/metrics?x=1", .metrics),
    ("GET", "/metrics?", .metrics),
    ("GET", "/", .notFound),
    ("GET", "/metrics/", .notFound),
    // FuzzMetricsRoute: a target starting with "?" was routed by what followed it.
    ("GET", "?/metrics", .notFound),
    ("POST", "?/metrics", .notFound),
    ("POST", "/metrics", .methodNotAllowed),
    ("HEAD", "/metrics?x", .methodNotAllowed),
    ("get", "/metrics", .methodNotAllowed),
  ])
  func metricsRoutes(method: String, uri: String, route: MetricsRoute) {
    #expect(MetricsRoute(method: method, uri: uri) == route)
  }

  @Test func everyMetricsSeedIsARequestLine() {
    let seeds = Self.seeds("metrics")
    #expect(seeds.count >= 6)
    for (name, text) in seeds {
      let requestLine = text.split(whereSeparator: \.isNewline).first ?? ""
      let parts = requestLine.split(separator: " ")
      guard parts.count == 3 else {
        Issue.record("\(name): not a request line")
        continue
      }
      let route = MetricsRoute(method: String(parts[0]), uri: String(parts[1]))
      #expect((route == .metrics) == name.hasPrefix("get-metrics"), "\(name)")
    }
  }
}
