extension ConfigurationParser {
  /// `set snmp juniper-compatible-traps`: nothing may follow.
  mutating func juniperTraps(_ c: inout StatementCursor) throws(StatementError) {
    c.advance()
    try c.end()
    configuration.juniperCompatibleTraps = true
  }
}
