/// The split-brain prevention statements (DESIGN §12): `lan-port N` and
/// `witness address A [port P]` (`node N lan-address A` sits with the other node addresses).
extension ConfigurationParser {
  mutating func splitBrainPrevention(_ key: Token, _ c: inout StatementCursor)
    throws(StatementError)
  {
    switch key.text {
    case "lan-port":
      configuration.lanPort = try c.integer("lan-port", 1...65535)
    default:
      var witness = configuration.witness ?? WitnessEndpoint(address: "")
      guard c.peek != nil else {
        throw StatementError(
          column: c.endColumn, message: "witness needs 'address <ip>' (and optionally 'port <n>')")
      }
      while let option = c.peek {
        c.advance()
        switch option.text {
        case "address": witness.address = try c.address("witness address")
        case "port": witness.port = try c.integer("witness port", 1...65535)
        default:
          throw StatementError(
            column: option.column,
            message: "unknown witness option '\(option.text)': expected address or port")
        }
      }
      configuration.witness = witness
    }
  }
}

extension ConfigurationParser {
  /// A witness needs an address; a LAN path needs both ends; and a cluster with reths that has
  /// neither can end up with two owners of one address when both cluster links fail.
  mutating func checkSplitBrainPrevention(end: (line: Int, column: Int)) {
    if let witness = configuration.witness, witness.address.isEmpty {
      report(
        .error, line: end.line, column: end.column,
        "witness has a port but no address ('set chassis cluster witness address <ip>')")
    }
    let lanNodes = (0...1).filter { configuration.nodes[$0].lanAddress != nil }
    if lanNodes.count == 1 {
      report(
        .warning, line: end.line, column: end.column,
        "only node \(lanNodes[0]) has a lan-address: the LAN heartbeat needs both "
          + "('set chassis cluster node \(1 - lanNodes[0]) lan-address <ip>')")
    }
    if !configuration.redundantEthernets.isEmpty, configuration.witness == nil,
      !configuration.hasLANHeartbeat
    {
      report(
        .warning, line: end.line, column: end.column,
        "this cluster has reths but neither a witness nor a LAN heartbeat: if the control and "
          + "fabric links fail together both nodes become primary and own the reth addresses "
          + "('set chassis cluster witness address <ip>' or "
          + "'set chassis cluster node N lan-address <ip>')")
    }
  }
}
