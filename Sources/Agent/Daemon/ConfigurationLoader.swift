import Cluster
import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A configuration ready for the daemon: parsed, validated, with the local node determined.
struct LoadedConfiguration: Sendable {
  var path: String
  var configuration: ClusterConfiguration
  var localNode: Int
  var digest: UInt64
  var key: [UInt8]?
  /// Accepted besides `key` while the pair is rekeyed (`previous-authentication-key-file`).
  var previousKey: [UInt8]?
  var notices: [ConfigurationDiagnostic]
}

struct ConfigurationLoadError: Error, CustomStringConvertible {
  var lines: [String]
  var description: String { lines.joined(separator: "\n") }
}

enum ConfigurationLoader {
  /// Reads and validates `path`. Daemon-only settings are errors here (they are warnings in
  /// `ccctl check-config`). `node` overrides the address-based node detection. `keys: false`
  /// leaves the key files unread (`--cleanup-reths` sends no heartbeat).
  static func load(
    path: String, node: Int?, controlSocket: String? = nil, agentXSocket: String? = nil,
    keys: Bool = true
  )
    throws(ConfigurationLoadError) -> LoadedConfiguration
  {
    let text: String
    do {
      text = try FileReader.readText(path)
    } catch {
      throw ConfigurationLoadError(lines: ["\(path): \(error)"])
    }
    let result = ConfigurationParser.parse(text, file: path)
    guard var configuration = result.configuration else {
      throw ConfigurationLoadError(lines: result.errors.map(\.description))
    }
    if let controlSocket { configuration.controlSocketPath = controlSocket }
    if let agentXSocket { configuration.agentXSocket = agentXSocket }
    // conntrackd's own file says whether there is an external cache to commit.
    configuration = ConntrackdFile.applied(to: configuration)
    let missing = DaemonRequirements.warnings(for: configuration, file: path)
    if !missing.isEmpty {
      throw ConfigurationLoadError(
        lines: missing.map { "\($0.file):\($0.line):\($0.column): \($0.message)" })
    }
    let localNode: Int
    if let node {
      localNode = node
    } else {
      let local = LocalAddresses.all()
      let matches = (0...1).filter { n in
        configuration.nodes[n].controlAddress.map { local.contains($0) } ?? false
      }
      guard matches.count == 1, let match = matches.first else {
        throw ConfigurationLoadError(lines: [
          "\(path): cannot tell which node this host is: "
            + (matches.isEmpty
              ? "no node's control-address is a local address"
              : "both nodes' control-addresses are local")
            + "; pass --node 0 or --node 1"
        ])
      }
      localNode = match
    }
    func key(_ file: String?) throws(ConfigurationLoadError) -> [UInt8]? {
      guard let file, keys else { return nil }
      do {
        return try KeyFile.load(file)
      } catch {
        throw ConfigurationLoadError(lines: ["\(error)"])
      }
    }
    return LoadedConfiguration(
      path: path, configuration: configuration, localNode: localNode,
      digest: ConfigurationDigest.digest(of: configuration),
      key: try key(configuration.authenticationKeyFile),
      previousKey: try key(configuration.previousAuthenticationKeyFile),
      notices: result.diagnostics.filter { $0.severity != .error }
        + DaemonRequirements.securityWarnings(for: configuration, file: path))
  }
}

/// The host's own addresses, for finding which node we are.
enum LocalAddresses {
  static func all() -> Set<String> {
    var result: Set<String> = []
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return result }
    defer { freeifaddrs(list) }
    var cursor: UnsafeMutablePointer<ifaddrs>? = first
    while let entry = cursor {
      defer { cursor = entry.pointee.ifa_next }
      guard let address = entry.pointee.ifa_addr else { continue }
      var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
      let family = Int32(address.pointee.sa_family)
      let length =
        family == AF_INET
        ? socklen_t(MemoryLayout<sockaddr_in>.size) : socklen_t(MemoryLayout<sockaddr_in6>.size)
      guard family == AF_INET || family == AF_INET6,
        getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
      else { continue }
      var text = String(
        decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
      result.insert(text)
    }
    return result
  }
}
