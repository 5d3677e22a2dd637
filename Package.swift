// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "ccagent",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Cluster", targets: ["Cluster"]),
    .library(name: "MIB", targets: ["MIB"]),
    .executable(name: "ccctl", targets: ["ccctl"]),
    .executable(name: "ccagentd", targets: ["Agent"]),
    .executable(name: "ccwitnessd", targets: ["WitnessDaemon"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    .target(
      name: "Cluster",
      dependencies: [.product(name: "Crypto", package: "swift-crypto")]
    ),
    .target(name: "MIB", dependencies: ["Cluster"]),
    // What the three programs' shells share: whole-file and key-file reading, socket addresses.
    .target(name: "ShellSupport", dependencies: ["Cluster"]),
    .target(
      name: "Journal",
      dependencies: ["Cluster", .product(name: "Logging", package: "swift-log")]
    ),
    .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd"),
    .systemLibrary(name: "CLinux"),
    .target(
      name: "CNetSNMP",
      linkerSettings: [.linkedLibrary("netsnmpagent"), .linkedLibrary("netsnmp")]
    ),
    .executableTarget(
      name: "Agent",
      dependencies: [
        "Cluster",
        "MIB",
        "Journal",
        "CSystemd",
        "CLinux",
        "CNetSNMP",
        "ShellSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(
      name: "ccctl",
      dependencies: [
        "Cluster",
        "ShellSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "WitnessDaemon",
      dependencies: [
        "Cluster",
        "ShellSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // What the test targets share: the seeded generator, the scenario runner, fixtures and
    // process helpers. A regular target, since test targets cannot depend on one another.
    .target(
      name: "ClusterTestSupport",
      dependencies: ["Cluster", "Journal", .product(name: "Logging", package: "swift-log")],
      path: "Tests/ClusterTestSupport"
    ),
    .testTarget(name: "ClusterTests", dependencies: ["Cluster", "ClusterTestSupport"]),
    .testTarget(name: "MIBTests", dependencies: ["MIB", "Cluster", "ClusterTestSupport"]),
    .testTarget(
      name: "JournalTests",
      dependencies: [
        "Journal", "Cluster", "ClusterTestSupport",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .testTarget(
      name: "AgentTests",
      dependencies: ["Agent", "Cluster", "MIB", "Journal", "ClusterTestSupport"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
