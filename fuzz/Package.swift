// swift-tools-version: 6.1
// libFuzzer harnesses for ccagent's parsers (see scripts/fuzz.sh). Separate from the main
// package so `swift build`/`swift test` there never see `-sanitize=fuzzer`.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which depends on where the repository
// was cloned ("main", "ccagent", ...): compute it rather than hard-code it.
let parentIdentity = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// Swift code is instrumented for coverage (-sanitize=fuzzer); the link pulls in libFuzzer.
let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer", "-use-ld=lld"])]

let package = Package(
  name: "ccagent-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .target(name: "CFuzzerDriver"),
    // The fixture cluster and input helpers the harnesses share.
    .target(
      name: "FuzzSupport", dependencies: [.product(name: "Cluster", package: parentIdentity)],
      swiftSettings: fuzzerFlags),
  ]
    + [
      "FuzzHeartbeat", "FuzzConfig", "FuzzScenario", "FuzzWitness", "FuzzControlRequest",
      "FuzzScreen", "FuzzConntrackd", "FuzzMetricsRoute",
    ].map { name in
      .executableTarget(
        name: name,
        dependencies: [
          "CFuzzerDriver", "FuzzSupport", .product(name: "Cluster", package: parentIdentity),
        ],
        swiftSettings: fuzzerFlags,
        linkerSettings: fuzzerLink)
    },
  swiftLanguageModes: [.v6]
)
