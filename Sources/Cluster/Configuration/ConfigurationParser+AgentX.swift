extension ConfigurationParser {
  /// `set snmp agentx socket /PATH | unix:/PATH | tcp:IPV4:PORT | tcp6:[IPV6]:PORT`: the
  /// AgentX master's address in net-snmp's transport syntax, passed to it unchanged. TCP is
  /// for an snmpd in another namespace or container.
  static func agentXSocket(_ c: inout StatementCursor) throws(StatementError) -> String {
    guard let token = c.peek else { return try c.path("agentx socket") }
    let text = token.text
    for (prefix, family) in [("tcp:", "IPv4"), ("tcp6:", "IPv6")] where text.hasPrefix(prefix) {
      c.advance()
      let rest = String(text.dropFirst(prefix.count))
      let problemAt = token.column + prefix.count
      switch ListenAddress.parse(rest) {
      case .success(let address) where address.isIPv6 == (family == "IPv6"):
        return text
      case .success:
        throw StatementError(
          column: problemAt,
          message: "agentx socket \(prefix) needs an \(family) address"
            + (family == "IPv4" ? " (tcp6:[ADDRESS]:PORT for IPv6)" : " ([ADDRESS]:PORT)"))
      case .failure(let problem):
        throw StatementError(
          column: problemAt + problem.offset, message: "agentx socket: \(problem.message)")
      }
    }
    if text.hasPrefix("unix:") {
      c.advance()
      guard text.dropFirst(5).hasPrefix("/") else {
        throw StatementError(
          column: token.column + 5,
          message: "agentx socket unix: needs an absolute path, got '\(text.dropFirst(5))'")
      }
      return text
    }
    guard text.hasPrefix("/") else {
      c.advance()
      throw StatementError(
        column: token.column,
        message: "agentx socket must be an absolute path, unix:/PATH, tcp:ADDRESS:PORT or "
          + "tcp6:[ADDRESS]:PORT, got '\(text)'")
    }
    return try c.path("agentx socket")
  }
}
