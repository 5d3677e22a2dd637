/// Junos-like text views (DESIGN §6), rendered from a snapshot. `time` formats instants:
/// wall-clock on a live node, `@12.003s` in the simulation.
public enum StatusView {
  /// `show chassis cluster status`.
  public static func status(_ snapshot: ClusterSnapshot) -> String {
    var out = "Monitor Failure codes:\n"
    let codes = FailureCodes.all
    var index = 0
    while index < codes.count {
      let left = "    \(codes[index].1)  \(codes[index].2)"
      if index + 1 < codes.count {
        out += left.padded(to: 38) + "\(codes[index + 1].1)  \(codes[index + 1].2)\n"
      } else {
        out += left + "\n"
      }
      index += 2
    }
    out += "\nCluster ID: \(snapshot.status.clusterId)\n"
    out +=
      "Node".padded(to: 7) + "Priority".padded(to: 9) + "Status".padded(to: 21)
      + "Preempt".padded(to: 8) + "Manual".padded(to: 9) + "Monitor-failures\n"
    for group in snapshot.status.redundancyGroups {
      out += "\nRedundancy group: \(group.id) , Failover count: \(group.failoverCount)\n"
      for row in group.nodes {
        let failures =
          row.status == .lost
          ? "n/a"
          : (row.monitorFailures.isEmpty ? "None" : row.monitorFailures.joined(separator: " "))
        out +=
          "node\(row.node)".padded(to: 7)
          + (row.status == .lost ? "0" : String(row.priority)).padded(to: 9)
          + row.status.description.padded(to: 21)
          + (row.preempt ? "yes" : "no").padded(to: 8)
          + (row.status == .lost ? "n/a" : (row.manualFailover ? "yes" : "no")).padded(to: 9)
          + failures + "\n"
      }
    }
    return out
  }

  /// `show chassis cluster information`.
  public static func information(
    _ snapshot: ClusterSnapshot, time: (ClusterTime) -> String
  ) -> String {
    var out = "node\(snapshot.status.localNode):\n"
    out += String(repeating: "-", count: 74) + "\n"
    out += "Control link status: \(snapshot.status.controlLink.title)\n"
    out += "Fabric link status: \(snapshot.status.fabricLink.title)\n"
    if let lan = snapshot.status.lanLink { out += "LAN heartbeat status: \(lan.title)\n" }
    out += "Peer: \(snapshot.status.peer.rawValue)\n"
    out += "Authentication: \(snapshot.authenticated ? "HMAC-SHA256" : "none")\n"
    if !snapshot.authenticated {
      out += "Warning: \(DaemonRequirements.unauthenticatedWarning)\n"
    }
    if let witness = snapshot.witness { out += witnessLines(witness, time: time) }
    if !snapshot.redundantEthernets.isEmpty {
      out += "\nRedundant Ethernet Information:\n"
      out += "    " + "Name".padded(to: 13) + "Status".padded(to: 12) + "Redundancy-group\n"
      for reth in snapshot.redundantEthernets {
        out +=
          "    " + reth.name.padded(to: 13) + reth.state.title.padded(to: 12)
          + (reth.group.map(String.init) ?? "-") + "\n"
      }
    }
    out += "\nRedundancy Group Information:\n"
    for group in snapshot.groups {
      let state =
        snapshot.status.redundancyGroups.first(where: { $0.id == group.id })?
        .nodes[snapshot.status.localNode].status ?? .hold
      out +=
        "\n    Redundancy Group \(group.id) , Current State: \(state), Weight: \(group.weight)\n"
      out += "        Monitoring failures: \(group.failureCodes.longDescription)\n"
      if group.history.isEmpty { continue }
      out +=
        "\n        " + "Time".padded(to: 16) + "From".padded(to: 21) + "To".padded(to: 21)
        + "Reason\n"
      for record in group.history {
        out +=
          "        " + time(record.time).padded(to: 16) + record.from.description.padded(to: 21)
          + record.to.description.padded(to: 21) + record.reason + "\n"
      }
    }
    if snapshot.splitBrain.count > 0 {
      out +=
        "\nSplit brain: \(snapshot.splitBrain.active.isEmpty ? "none now" : "active on " + snapshot.splitBrain.active.map { "rg\($0)" }.joined(separator: ","))"
      out += ", detected \(snapshot.splitBrain.count) time(s)"
      if let last = snapshot.splitBrain.lastDetectedAt { out += ", last at \(time(last))" }
      out += "\n"
    }
    return out
  }

  /// `show chassis cluster interfaces`.
  public static func interfaces(_ snapshot: ClusterSnapshot, configuration: ClusterConfiguration)
    -> String
  {
    var out = "Control link status: \(snapshot.status.controlLink.title)\n\n"
    out += "Control interfaces:\n"
    out += "    " + "Index".padded(to: 8) + "Address".padded(to: 42) + "Monitored-Status\n"
    for node in 0...1 {
      let address = configuration.nodes[node].controlAddress ?? "-"
      out +=
        "    " + String(node).padded(to: 8) + address.padded(to: 42)
        + (node == snapshot.status.localNode ? "Up" : snapshot.status.controlLink.title) + "\n"
    }
    out += "\nFabric link status: \(snapshot.status.fabricLink.title)\n\n"
    out += "Fabric interfaces:\n"
    out += "    " + "Name".padded(to: 8) + "Child-interface".padded(to: 20) + "Address\n"
    for node in 0...1 {
      let members = configuration.fabricMembers[node]
      let address = configuration.nodes[node].fabricAddress ?? "-"
      out +=
        "    " + "fab\(node)".padded(to: 8)
        + (members.isEmpty ? "-" : members.joined(separator: ",")).padded(to: 20) + address + "\n"
    }
    if !snapshot.redundantEthernets.isEmpty {
      out += "\nRedundant-ethernet Information:\n"
      out +=
        "    " + "Name".padded(to: 13) + "Status".padded(to: 12) + "Redundancy-group".padded(to: 18)
        + "Members".padded(to: 12) + "Here".padded(to: 10) + "MAC".padded(to: 19) + "Addresses\n"
      for reth in snapshot.redundantEthernets {
        out +=
          "    " + reth.name.padded(to: 13) + reth.state.title.padded(to: 12)
          + (reth.group.map(String.init) ?? "-").padded(to: 18)
          + (reth.members.isEmpty ? "-" : reth.members.joined(separator: ",")).padded(to: 12)
          + (reth.active ? "active" : "standby").padded(to: 10)
          + reth.mac.description.padded(to: 19)
          + (reth.addresses.isEmpty
            ? "-" : reth.addresses.map(\.description).joined(separator: " ")) + "\n"
      }
    }
    if !snapshot.interfaceMonitors.isEmpty {
      out += "\nInterface Monitoring:\n"
      out +=
        "    " + "Interface".padded(to: 18) + "Weight".padded(to: 10) + "Status".padded(to: 14)
        + "Redundancy-group\n"
      for monitor in snapshot.interfaceMonitors {
        let status = monitor.state?.title ?? "node\(monitor.node ?? 0) only"
        out +=
          "    " + monitor.interface.padded(to: 18) + String(monitor.weight).padded(to: 10)
          + status.padded(to: 14) + String(monitor.group) + "\n"
      }
    }
    if !snapshot.ipMonitors.isEmpty {
      out += "\nIP Monitoring:\n"
      out +=
        "    " + "Address".padded(to: 42) + "Weight".padded(to: 10) + "Status".padded(to: 14)
        + "Redundancy-group\n"
      for monitor in snapshot.ipMonitors {
        let status =
          monitor.reachable.map { $0 ? "Reachable" : "Unreachable" }
          ?? "node\(monitor.node ?? 0) only"
        out +=
          "    " + monitor.address.padded(to: 42) + String(monitor.weight).padded(to: 10)
          + status.padded(to: 14) + String(monitor.group) + "\n"
      }
    }
    return out
  }

  /// `show chassis cluster statistics`.
  public static func statistics(_ snapshot: ClusterSnapshot) -> String {
    let s = snapshot.statistics
    return """
      Control link statistics:
          Control link 0:
              Heartbeat packets sent: \(s.heartbeatsSent)
              Heartbeat packets received: \(s.heartbeatsReceived)
              Heartbeat packet errors: \(s.heartbeatErrors)
            Heartbeat packets from other sources: \(s.heartbeatSourceRejected)
      Fabric link statistics:
          Child link 0
              Probes sent: \(s.probesSent)
              Probes received: \(s.probesReceived)
              Probe errors: \(s.probeErrors)
            Probes from other sources: \(s.probeSourceRejected)

      """ + lanStatistics(s) + (s.sessionSync.map(SessionSyncView.statistics) ?? "")
  }
}

extension String {
  func padded(to width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}

extension ClusterLinkStatus {
  var title: String { self == .up ? "Up" : "Down" }
}

extension LinkState {
  var title: String {
    switch self {
    case .up: "Up"
    case .down: "Down"
    case .absent: "Not present"
    }
  }
}

extension FailureCodes {
  /// "interface-monitoring, ip-monitoring" or "none", as `information` spells them.
  var longDescription: String {
    let names = Self.all.filter { contains($0.0) }.map {
      $0.2.lowercased().replacingOccurrences(of: " monitoring", with: "-monitoring")
        .replacingOccurrences(of: " ", with: "-")
    }
    return names.isEmpty ? "none" : names.joined(separator: ", ")
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    var result = ""
    var rest = Substring(self)
    while let range = rest.firstRange(of: target) {
      result += rest[..<range.lowerBound]
      result += replacement
      rest = rest[range.upperBound...]
    }
    return result + rest
  }
}
