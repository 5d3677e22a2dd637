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
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    .target(
      name: "Cluster",
      dependencies: [.product(name: "Crypto", package: "swift-crypto")]
    ),
    .target(name: "MIB", dependencies: ["Cluster"]),
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
        "CSystemd",
        "CLinux",
        "CNetSNMP",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(
      name: "ccctl",
      dependencies: [
        "Cluster",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
    .testTarget(name: "MIBTests", dependencies: ["MIB", "Cluster"]),
    .testTarget(name: "AgentTests", dependencies: ["Agent", "Cluster", "MIB"]),
  ],
  swiftLanguageModes: [.v6]
)
