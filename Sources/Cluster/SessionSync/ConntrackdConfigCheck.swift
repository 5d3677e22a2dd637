/// `ccctl check-config`'s look at the conntrackd file session sync drives (DESIGN §11): it
/// must sync over the cluster's fabric addresses and ignore the reth addresses (sessions to
/// the cluster's own addresses are not the firewall's to replicate). Only the few clauses
/// that matter are read; conntrackd itself judges the rest.
public enum ConntrackdConfigCheck {
  /// The daemon's UNIX socket (`General { UNIX { Path … } }`), nil when the file names none.
  public static func socketPath(_ text: String) -> String? {
    ConntrackdStatement.parse(text).first {
      $0.blocks == ["General", "UNIX"] && $0.key == "Path" && $0.values.count == 1
    }?.values[0]
  }

  /// `Sync { Mode … { DisableExternalCache On } }`: the peer's sessions go straight into
  /// the kernel, there is no external cache to commit.
  public static func disablesExternalCache(_ text: String) -> Bool {
    ConntrackdStatement.parse(text).contains {
      $0.blocks.first == "Sync" && $0.blocks.count == 2 && $0.blocks[1].hasPrefix("Mode ")
        && $0.key.lowercased() == "disableexternalcache"
        && ["on", "yes", "true"].contains($0.values.first?.lowercased() ?? "")
    }
  }

  /// The session-sync configuration as the conntrackd file `text` makes it.
  public static func applying(_ text: String, to cluster: ClusterConfiguration)
    -> ClusterConfiguration
  {
    var cluster = cluster
    cluster.sessionSync?.externalCache = !disablesExternalCache(text)
    return cluster
  }

  /// Warnings about `text`, the conntrackd configuration at `file`.
  public static func warnings(
    _ text: String, file: String, cluster: ClusterConfiguration
  ) -> [ConfigurationDiagnostic] {
    let statements = ConntrackdStatement.parse(text)
    var out: [ConfigurationDiagnostic] = []
    func warn(_ line: Int, _ message: String) {
      out.append(
        ConfigurationDiagnostic(
          file: file, line: line, column: 1, severity: .warning, message: message))
    }
    let fabric = Set(cluster.nodes.compactMap(\.fabricAddress).map(normalised))
    let sync = statements.filter { $0.blocks.first == "Sync" && $0.blocks.count >= 2 }
    let transports = sync.filter { ["UDP", "Multicast", "TCP"].contains($0.blocks[1]) }
    if transports.isEmpty {
      warn(1, "no Sync UDP or Multicast section: conntrackd would not sync over the fabric")
    }
    for s in transports {
      switch s.key {
      case "IPv4_address", "IPv6_address", "IPv4_Destination_Address",
        "IPv6_Destination_Address", "IPv4_interface", "IPv6_interface":
        guard let value = s.values.first else { continue }
        // A multicast group address is not a node's; the interface address is.
        if s.blocks[1] == "Multicast" && !s.key.hasSuffix("interface") { continue }
        if !fabric.isEmpty && !fabric.contains(normalised(value)) {
          warn(
            s.line,
            "conntrackd syncs over \(value) (\(s.key)), which is not a fabric-address "
              + "(\(fabric.sorted().joined(separator: ", "))): sessions should be synced over the fabric link"
          )
        }
      case "Interface":
        guard let name = s.values.first else { continue }
        if name.allSatisfy(\.isHexDigit) {
          warn(
            s.line,
            "'Interface \(name)': conntrackd 1.4.7's lexer reads an all-hex name such as fab0 or "
              + "fab1 as part of an IPv6 address and rejects the file; rename the link (e.g. 'fabric0')"
          )
        }
      default: break
      }
    }
    for block in Set(transports.map { $0.blocks.prefix(2).joined(separator: " ") })
    where block == "Sync UDP" && !transports.contains(where: { $0.key == "Interface" }) {
      let line = transports.first { $0.blocks[1] == "UDP" }?.line ?? 1
      warn(
        line, "the Sync UDP section has no Interface: conntrackd 1.4.7 does not start without one")
    }
    let ignored = statements.filter {
      $0.blocks.first == "General" && $0.blocks.contains("Address Ignore")
    }.compactMap { $0.values.first }
    let filterLine = statements.first { $0.blocks.contains("Address Ignore") }?.line ?? 1
    for name in cluster.redundantEthernets.keys.sorted() {
      for address in cluster.redundantEthernets[name]?.addresses ?? [] {
        let covered = ignored.contains { covers($0, address.octets) }
        if !covered {
          warn(
            filterLine,
            "conntrackd does not ignore \(name)'s address \(address.address) ('Filter From "
              + "Userspace { Address Ignore { IPv\(address.family == .inet ? 4 : 6)_address "
              + "\(address.address) } }'): sessions to the cluster itself would be synced")
        }
      }
    }
    return out
  }

  /// The driver waits for the commit in action order, so heartbeats pause meanwhile: a commit
  /// that may outlast the peer's link-failure timeout makes the peer think this node is lost.
  public static func settingsWarnings(_ cluster: ClusterConfiguration, file: String)
    -> [ConfigurationDiagnostic]
  {
    guard let sync = cluster.sessionSync, sync.commitTimeout >= cluster.linkFailureTimeout else {
      return []
    }
    return [
      ConfigurationDiagnostic(
        file: file, line: 1, column: 1, severity: .warning,
        message: "session-sync commit-timeout \(sync.commitTimeoutMilliseconds) ms is not below "
          + "heartbeat-interval x heartbeat-threshold "
          + "(\(cluster.linkFailureTimeout.millisecondsClamped) ms): heartbeats pause during a "
          + "commit, so a slow one would make the peer take this node for lost")
    ]
  }

  /// Whether `entry` ("192.0.2.1" or "192.0.2.0/24") covers the address.
  static func covers(_ entry: String, _ octets: [UInt8]) -> Bool {
    // "/" alone splits into nothing.
    let parts = entry.split(separator: "/", maxSplits: 1)
    guard let address = parts.first else { return false }
    let base = InetAddressText.parse(String(address)).octets
    guard base.count == octets.count, !base.isEmpty else { return false }
    let length = parts.count == 2 ? Int(parts[1]) ?? -1 : base.count * 8
    guard length >= 0 && length <= base.count * 8 else { return false }
    for bit in 0..<length {
      let mask = UInt8(0x80) >> UInt8(bit % 8)
      if base[bit / 8] & mask != octets[bit / 8] & mask { return false }
    }
    return true
  }

  private static func normalised(_ address: String) -> String {
    let parsed = InetAddressText.parse(address)
    return parsed.octets.isEmpty ? address : parsed.octets.map { String($0) }.joined(separator: ".")
  }
}

/// One `Key value…` clause of a conntrackd file with the blocks around it
/// (`["Sync", "UDP"]`, `["General", "Filter From Userspace", "Address Ignore"]`).
struct ConntrackdStatement: Equatable {
  var blocks: [String]
  var key: String
  var values: [String]
  var line: Int

  static func parse(_ text: String) -> [ConntrackdStatement] {
    var out: [ConntrackdStatement] = []
    var stack: [String] = []
    var words: [String] = []
    var number = 0
    func flush() {
      if let key = words.first {
        out.append(
          ConntrackdStatement(
            blocks: stack, key: key, values: Array(words.dropFirst()), line: number))
      }
      words.removeAll()
    }
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      let line =
        raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      var word = ""
      for ch in line + " " {
        if ch == "{" || ch == "}" || ch == " " || ch == "\t" || ch == "\r" {
          if !word.isEmpty { words.append(word) }
          word = ""
          if ch == "{" {
            stack.append(words.joined(separator: " "))
            words.removeAll()
          } else if ch == "}" {
            flush()
            if !stack.isEmpty { stack.removeLast() }
          }
        } else {
          word.append(ch)
        }
      }
      flush()
    }
    return out
  }
}
