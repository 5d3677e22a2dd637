extension ConfigurationParser {
  /// `set chassis cluster metrics listen ADDRESS:PORT`: the Prometheus endpoint (off unless set).
  static func metrics(_ c: inout StatementCursor) throws(StatementError) -> ListenAddress {
    try c.keyword("listen")
    return try c.listenAddress("metrics listen")
  }
}

extension StatementCursor {
  /// `ADDRESS:PORT` or `[IPV6]:PORT`, errors at the column of the part that is wrong.
  mutating func listenAddress(_ name: String) throws(StatementError) -> ListenAddress {
    let token = try word("ADDRESS:PORT for \(name)")
    switch ListenAddress.parse(token.text) {
    case .success(let address): return address
    case .failure(let problem):
      throw StatementError(
        column: token.column + problem.offset, message: "\(name): \(problem.message)")
    }
  }
}
