// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "ccagent",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Cluster", targets: ["Cluster"]),
    .executable(name: "ccctl", targets: ["ccctl"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    .target(
      name: "Cluster",
      dependencies: [.product(name: "Crypto", package: "swift-crypto")]
    ),
    .executableTarget(
      name: "ccctl",
      dependencies: [
        "Cluster",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
  ],
  swiftLanguageModes: [.v6]
)
