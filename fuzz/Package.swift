// swift-tools-version: 6.1
// libFuzzer harnesses for ccagent's parsers (see scripts/fuzz.sh). Separate from the main
// package so `swift build`/`swift test` there never see `-sanitize=fuzzer`.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which depends on where the repository
// was cloned ("main", "ccagent", ...): compute it rather than hard-code it.
let parentIdentity = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// The fuzzers define LLVMFuzzerTestOneInput and take libFuzzer's main: no Swift top-level code.
let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library", "-sanitize=fuzzer"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer"])]

let package = Package(
  name: "ccagent-fuzz",
  dependencies: [.package(path: "..")],
  targets: ["FuzzHeartbeat", "FuzzConfig", "FuzzScenario"].map { name in
    .executableTarget(
      name: name,
      dependencies: [.product(name: "Cluster", package: parentIdentity)],
      swiftSettings: fuzzerFlags,
      linkerSettings: fuzzerLink)
  },
  swiftLanguageModes: [.v6]
)
