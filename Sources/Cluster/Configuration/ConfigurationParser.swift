/// Parses Junos `set` statements (DESIGN §5) into a `ClusterConfiguration`.
///
/// Statements inside `chassis cluster` are checked strictly; other hierarchies are ignored with a
/// notice so operators can paste a whole SRX configuration. Parsing goes on after an error so
/// one run reports every mistake.
public struct ConfigurationParser {
  public let file: String
  var configuration = ClusterConfiguration(clusterID: 0)
  private var clusterIDSeen = false
  private var rethCountToken: (Int, Token)?
  private var diagnostics: [ConfigurationDiagnostic] = []
  /// Where each RG was first mentioned, for RG-level messages.
  private var groupOrigin: [Int: (line: Int, column: Int)] = [:]
  private var preemptOrigin: [Int: (line: Int, column: Int)] = [:]
  private var holdDownOrigin: [Int: (line: Int, column: Int, value: Int)] = [:]
  private var rethReferences: [(name: String, line: Int, column: Int)] = []
  /// Where each reth address was written, for the whole-file checks.
  private var rethAddressOrigins: [(reth: String, address: RethAddress, line: Int, column: Int)] =
    []
  private var lineCount = 0
  /// Where the first session-sync statement was, for its whole-file check.
  var sessionSyncOrigin: (line: Int, column: Int)?
  /// Where each authentication statement was written, for the checks between them.
  private var authenticationOrigins: [String: (line: Int, column: Int)] = [:]

  public init(file: String) {
    self.file = file
  }

  /// Parses a whole file's text.
  public static func parse(_ text: String, file: String) -> ConfigurationParseResult {
    var parser = ConfigurationParser(file: file)
    var number = 0
    for line in StatementTokenizer.lines(of: text) {
      number += 1
      parser.parseLine(line, number: number)
    }
    return parser.finish()
  }

  /// Parses one line; `number` is 1-based.
  public mutating func parseLine(_ line: Substring, number: Int) {
    lineCount = max(lineCount, number)
    let length = line.utf8.count
    guard length <= StatementTokenizer.maximumLineLength else {
      report(
        .error, line: number, column: 1,
        "line is \(length) bytes long (at most \(StatementTokenizer.maximumLineLength)): "
          + "'\(StatementTokenizer.excerpt(line))'")
      return
    }
    let tokens: [Token]
    do {
      tokens = try StatementTokenizer.tokenize(line)
    } catch {
      switch error {
      case .unterminatedQuote(let column):
        report(.error, line: number, column: column, "unterminated quoted string")
      }
      return
    }
    guard !tokens.isEmpty else { return }
    var cursor = StatementCursor(tokens: tokens, line: number, endColumn: line.count + 1)
    do {
      try statement(&cursor)
    } catch {
      diagnostics.append(
        ConfigurationDiagnostic(
          file: file, line: number, column: error.column, severity: .error,
          message: error.message))
    }
  }

  // MARK: - Statements

  private mutating func statement(_ c: inout StatementCursor) throws(StatementError) {
    let verb = try c.word("a statement")
    guard verb.text == "set" else {
      throw StatementError(
        column: verb.column,
        message: "unsupported statement '\(verb.text)': only 'set' statements are accepted")
    }
    let top = try c.word("a hierarchy after 'set'")
    switch top.text {
    case "chassis":
      guard let next = c.peek, next.text == "cluster" else {
        ignore(c, top, "set chassis \(c.peek?.text ?? "")")
        return
      }
      c.advance()
      try cluster(&c)
    case "interfaces":
      try interfaces(&c)
    case "snmp":
      try snmp(&c, top)
    default:
      ignore(c, top, "set \(top.text)")
    }
  }

  private mutating func ignore(_ c: StatementCursor, _ at: Token, _ what: String) {
    report(
      .notice, line: c.line, column: at.column,
      "ignoring '\(what.trimmingTrailingSpace)': not a chassis-cluster statement")
  }

  private mutating func cluster(_ c: inout StatementCursor) throws(StatementError) {
    let key = try c.word("a chassis cluster statement")
    switch key.text {
    case "cluster-id":
      configuration.clusterID = try c.integer("cluster-id", 1...255)
      clusterIDSeen = true
    case "reth-count":
      let valueToken = c.peek ?? key
      let count = try c.integer("reth-count", 0...128)
      configuration.rethCount = count
      rethCountToken = (count, valueToken)
    case "heartbeat-interval":
      configuration.heartbeatIntervalMilliseconds = try c.integer(
        "heartbeat-interval (milliseconds)", 10...2000)
    case "heartbeat-threshold":
      configuration.heartbeatThreshold = try c.integer("heartbeat-threshold", 3...8)
    case "control-link-recovery":
      configuration.controlLinkRecovery = true
    case "control-link-failure-timeout":
      configuration.controlLinkFailureTimeoutSeconds = try c.integer(
        "control-link-failure-timeout (seconds)", 1...3600)
    case "control-port":
      configuration.controlPort = try c.integer("control-port", 1...65535)
    case "fabric-port":
      configuration.fabricPort = try c.integer("fabric-port", 1...65535)
    case "lan-port", "witness": try splitBrainPrevention(key, &c)
    case "authentication-key-file":
      configuration.authenticationKeyFile = try c.path("authentication-key-file")
      authenticationOrigins[key.text] = (c.line, key.column)
    case "previous-authentication-key-file":
      configuration.previousAuthenticationKeyFile = try c.path(key.text)
      authenticationOrigins[key.text] = (c.line, key.column)
    case "authentication":
      try c.keyword("none")
      configuration.authenticationDisabled = true
      authenticationOrigins[key.text] = (c.line, key.column)
    case "notify-script":
      configuration.notifyScript = try c.path("notify-script")
    case "notify-timeout":
      configuration.notifyTimeoutSeconds = try c.integer("notify-timeout (seconds)", 1...300)
    case "control-socket":
      configuration.controlSocketPath = try c.path("control-socket")
    case "admin-group":
      configuration.adminGroup = try c.word("a group name").text
    case "metrics":
      configuration.metricsListen = try Self.metrics(&c)
    case "node":
      try node(&c)
    case "reth-mac":
      let style = try c.word("local, juniper or member")
      guard let value = RethMACStyle(rawValue: style.text) else {
        throw StatementError(
          column: style.column,
          message: "reth-mac must be local, juniper or member, not '\(style.text)'")
      }
      configuration.rethMAC = value
    case "redundancy-group":
      try redundancyGroup(&c)
    case "session-sync":
      try sessionSync(&c)
    case "control-ports", "fabric-ports", "traceoptions", "network-management",
      "configuration-synchronize":
      // SRX hardware and tracing knobs have no meaning on Linux.
      report(
        .notice, line: c.line, column: key.column,
        "ignoring 'chassis cluster \(key.text)': not used on Linux")
      c.skipRest()
    default:
      throw StatementError(
        column: key.column, message: "unknown chassis cluster statement '\(key.text)'")
    }
    try c.end()
  }

  private mutating func node(_ c: inout StatementCursor) throws(StatementError) {
    let id = try c.integer("node", 0...1)
    let key = try c.word("'control-address', 'fabric-address' or 'lan-address'")
    switch key.text {
    case "lan-address":
      configuration.nodes[id].lanAddress = try c.address("lan-address")
    case "control-address":
      configuration.nodes[id].controlAddress = try c.address("control-address")
    case "fabric-address":
      configuration.nodes[id].fabricAddress = try c.address("fabric-address")
    default:
      throw StatementError(
        column: key.column,
        message:
          "unknown node statement '\(key.text)': expected control-address, fabric-address "
          + "or lan-address")
    }
  }

  private mutating func redundancyGroup(_ c: inout StatementCursor) throws(StatementError) {
    let idToken = c.peek
    let id = try c.integer("redundancy-group", 0...128)
    if groupOrigin[id] == nil, let idToken {
      groupOrigin[id] = (c.line, idToken.column)
    }
    var group = configuration.redundancyGroups[id] ?? RedundancyGroupConfiguration(id: id)
    defer { configuration.redundancyGroups[id] = group }
    let key = try c.word("a redundancy-group statement")
    switch key.text {
    case "node":
      let node = try c.integer("node", 0...1)
      try c.keyword("priority")
      group.priority[node] = try c.integer("priority", 1...254)
    case "preempt":
      if id == 0 {
        preemptOrigin[id] = (c.line, key.column)
      }
      var preempt = group.preempt ?? .init()
      while let option = c.peek {
        c.advance()
        switch option.text {
        case "delay": preempt.delaySeconds = try c.integer("preempt delay (seconds)", 1...21600)
        case "limit": preempt.limit = try c.integer("preempt limit", 1...50)
        case "period": preempt.periodSeconds = try c.integer("preempt period (seconds)", 1...1400)
        default:
          throw StatementError(
            column: option.column,
            message: "unknown preempt option '\(option.text)': expected delay, limit or period")
        }
      }
      group.preempt = preempt
    case "hold-down-interval":
      let valueToken = c.peek ?? key
      let value = try c.integer("hold-down-interval (seconds)", 0...1800)
      holdDownOrigin[id] = (c.line, valueToken.column, value)
      group.holdDownIntervalSeconds = value
    case "interface-monitor":
      let name = try c.word("an interface name")
      var weight: Int?
      var node: Int?
      while let option = c.peek {
        c.advance()
        switch option.text {
        case "weight": weight = try c.integer("weight", 0...255)
        case "node": node = try c.integer("node", 0...1)
        default:
          throw StatementError(
            column: option.column,
            message: "unknown interface-monitor option '\(option.text)': expected weight or node")
        }
      }
      guard let weight else {
        throw StatementError(
          column: c.endColumn, message: "interface-monitor \(name.text) needs 'weight <0..255>'")
      }
      let monitor = InterfaceMonitor(interface: name.text, weight: weight, node: node)
      if let index = group.interfaceMonitors.firstIndex(where: {
        $0.interface == monitor.interface && $0.node == monitor.node
      }) {
        group.interfaceMonitors[index] = monitor  // `set` replaces, as in Junos
      } else {
        group.interfaceMonitors.append(monitor)
      }
    case "ip-monitoring":
      var ip = group.ipMonitoring ?? IPMonitoring()
      try ipMonitoring(&c, &ip)
      group.ipMonitoring = ip
    case "gratuitous-arp-count":
      group.gratuitousARPCount = try c.integer("gratuitous-arp-count", 1...16)
    case "interface-monitor-threshold":
      report(
        .notice, line: c.line, column: key.column,
        "ignoring 'redundancy-group \(id) \(key.text)': not used on Linux")
      c.skipRest()
    default:
      throw StatementError(
        column: key.column, message: "unknown redundancy-group statement '\(key.text)'")
    }
  }

  private mutating func ipMonitoring(_ c: inout StatementCursor, _ ip: inout IPMonitoring)
    throws(StatementError)
  {
    let key = try c.word("an ip-monitoring statement")
    switch key.text {
    case "global-weight": ip.globalWeight = try c.integer("global-weight", 0...255)
    case "global-threshold": ip.globalThreshold = try c.integer("global-threshold", 0...255)
    case "retry-interval":
      ip.retryIntervalSeconds = try c.integer("retry-interval (seconds)", 1...30)
    case "retry-count": ip.retryCount = try c.integer("retry-count", 5...15)
    case "family":
      let family = try c.word("'inet'")
      guard family.text == "inet" || family.text == "inet6" else {
        throw StatementError(
          column: family.column, message: "unknown address family '\(family.text)': expected inet")
      }
      let address = try c.address("ip-monitoring address", family: family.text)
      var entry =
        ip.addresses.first(where: { $0.address == address })
        ?? IPMonitorAddress(address: address, weight: -1)
      while let option = c.peek {
        c.advance()
        switch option.text {
        case "weight": entry.weight = try c.integer("weight", 0...255)
        case "source-address": entry.sourceAddress = try c.address("source-address")
        case "node": entry.node = try c.integer("node", 0...1)
        case "interface", "secondary-ip-address":
          // SRX pings from the reth's own address; Linux chooses by routing or source-address.
          _ = try c.word("a value for \(option.text)")
          report(
            .notice, line: c.line, column: option.column,
            "ignoring ip-monitoring '\(option.text)': use 'source-address' on Linux")
        default:
          throw StatementError(
            column: option.column,
            message:
              "unknown ip-monitoring option '\(option.text)': expected weight, source-address or node"
          )
        }
      }
      guard entry.weight >= 0 else {
        throw StatementError(
          column: c.endColumn, message: "ip-monitoring address \(address) needs 'weight <0..255>'")
      }
      if let index = ip.addresses.firstIndex(where: { $0.address == address }) {
        ip.addresses[index] = entry
      } else {
        ip.addresses.append(entry)
      }
    default:
      throw StatementError(
        column: key.column, message: "unknown ip-monitoring statement '\(key.text)'")
    }
  }

  private mutating func interfaces(_ c: inout StatementCursor) throws(StatementError) {
    let name = try c.word("an interface name")
    guard let option = c.peek else {
      throw StatementError(column: c.endColumn, message: "incomplete interfaces statement")
    }
    switch option.text {
    case "redundant-ether-options" where name.text.hasPrefix("reth"):
      c.advance()
      guard RedundantEthernet.index(of: name.text) != nil else {
        throw StatementError(
          column: name.column, message: "'\(name.text)' is not a reth name (reth0, reth1, …)")
      }
      let sub = try c.word("'redundancy-group'")
      guard sub.text == "redundancy-group" else {
        ignore(c, sub, "interfaces \(name.text) redundant-ether-options \(sub.text)")
        return
      }
      let group = try c.integer("redundancy-group", 1...128)
      var reth = configuration.redundantEthernets[name.text] ?? RedundantEthernet(name: name.text)
      reth.redundancyGroup = group
      configuration.redundantEthernets[name.text] = reth
      rethReferences.append((name.text, c.line, name.column))
      try c.end()
    case "gigether-options", "ether-options":
      c.advance()
      guard let sub = c.peek, sub.text == "redundant-parent" else {
        ignore(c, option, "interfaces \(name.text) \(option.text) \(c.peek?.text ?? "")")
        return
      }
      c.advance()
      let parentToken = try c.word("a reth name")
      guard RedundantEthernet.index(of: parentToken.text) != nil else {
        throw StatementError(
          column: parentToken.column,
          message: "redundant-parent '\(parentToken.text)' is not a reth name (reth0, reth1, …)")
      }
      var reth =
        configuration.redundantEthernets[parentToken.text]
        ?? RedundantEthernet(name: parentToken.text)
      if !reth.members.contains(name.text) {
        reth.members.append(name.text)
      }
      if c.peek?.text == "node" {
        c.advance()
        reth.memberNode[name.text] = try c.integer("node", 0...1)
      }
      configuration.redundantEthernets[parentToken.text] = reth
      rethReferences.append((parentToken.text, c.line, parentToken.column))
      try c.end()
    case "unit" where name.text.hasPrefix("reth"):
      try rethUnit(&c, name)
    case "fabric-options":
      c.advance()
      guard name.text == "fab0" || name.text == "fab1" else {
        throw StatementError(
          column: name.column, message: "fabric-options belongs on fab0 or fab1, not '\(name.text)'"
        )
      }
      try c.keyword("member-interfaces")
      let member = try c.word("a member interface")
      let node = name.text == "fab0" ? 0 : 1
      if !configuration.fabricMembers[node].contains(member.text) {
        configuration.fabricMembers[node].append(member.text)
      }
      try c.end()
    default:
      ignore(c, name, "interfaces \(name.text) \(option.text)")
    }
  }

  /// `set interfaces rethN unit 0 family inet|inet6 address A/P`; other unit statements
  /// (descriptions, VLANs, filters) are the firewall's business, not the cluster's.
  private mutating func rethUnit(_ c: inout StatementCursor, _ name: Token) throws(StatementError) {
    c.advance()
    guard RedundantEthernet.index(of: name.text) != nil else {
      throw StatementError(
        column: name.column, message: "'\(name.text)' is not a reth name (reth0, reth1, …)")
    }
    let unit = try c.integer("unit", 0...16385)
    guard unit == 0, c.peek?.text == "family" else {
      ignore(c, name, "interfaces \(name.text) unit \(unit) \(c.peek?.text ?? "")")
      c.skipRest()
      return
    }
    c.advance()
    let familyToken = try c.word("inet or inet6")
    guard let family = RethAddress.Family(rawValue: familyToken.text) else {
      ignore(c, familyToken, "interfaces \(name.text) unit 0 family \(familyToken.text)")
      c.skipRest()
      return
    }
    guard c.peek?.text == "address" else {
      ignore(
        c, familyToken, "interfaces \(name.text) unit 0 family \(family) \(c.peek?.text ?? "")")
      c.skipRest()
      return
    }
    c.advance()
    let text = try c.word("an address with prefix length")
    let address: RethAddress
    switch RethAddress.parse(text.text, family: family) {
    case .success(let parsed): address = parsed
    case .failure(let problem):
      throw StatementError(column: text.column, message: problem.message)
    }
    // Junos options after the address (primary, preferred) change nothing here.
    c.skipRest()
    var reth = configuration.redundantEthernets[name.text] ?? RedundantEthernet(name: name.text)
    if !reth.addresses.contains(address) { reth.addresses.append(address) }
    configuration.redundantEthernets[name.text] = reth
    rethReferences.append((name.text, c.line, name.column))
    rethAddressOrigins.append((name.text, address, c.line, text.column))
  }

  private mutating func snmp(_ c: inout StatementCursor, _ top: Token) throws(StatementError) {
    if c.peek?.text == "juniper-compatible-traps" { return try juniperTraps(&c) }
    guard let next = c.peek, next.text == "agentx" else {
      // Communities, views and trap targets belong to snmpd's own configuration.
      ignore(c, top, "set snmp \(c.peek?.text ?? "")")
      return
    }
    c.advance()
    let key = try c.word("'socket'")
    guard key.text == "socket" else {
      throw StatementError(
        column: key.column, message: "unknown snmp agentx statement '\(key.text)': expected socket")
    }
    configuration.agentXSocket = try Self.agentXSocket(&c)
    try c.end()
  }

  // MARK: - Whole-file checks

  public mutating func finish() -> ConfigurationParseResult {
    let end = (line: lineCount + 1, column: 1)
    if !clusterIDSeen {
      report(
        .error, line: end.line, column: end.column,
        "'set chassis cluster cluster-id <1..255>' is missing")
    }
    if configuration.redundancyGroups[0] == nil {
      report(
        .error, line: end.line, column: end.column,
        "redundancy-group 0 is not configured: it elects the primary node "
          + "('set chassis cluster redundancy-group 0 node 0 priority <1..254>' and node 1)")
    }
    for (id, group) in configuration.redundancyGroups.sorted(by: { $0.key < $1.key }) {
      let origin = groupOrigin[id] ?? end
      for node in 0...1 where group.priority[node] == 0 {
        report(
          .error, line: origin.line, column: origin.column,
          "redundancy-group \(id) has no priority for node \(node) "
            + "('set chassis cluster redundancy-group \(id) node \(node) priority <1..254>')")
      }
      if id == 0, let at = preemptOrigin[0] {
        report(
          .error, line: at.line, column: at.column, "preempt is not allowed on redundancy-group 0")
      }
      if id == 0, let hold = holdDownOrigin[0], hold.value < 300 {
        report(
          .error, line: hold.line, column: hold.column,
          "hold-down-interval of redundancy-group 0 must be 300..1800 seconds, got \(hold.value)")
      }
      if let preempt = group.preempt, (preempt.limit == nil) != (preempt.periodSeconds == nil) {
        let at = groupOrigin[id] ?? end
        report(
          .error, line: at.line, column: at.column,
          "redundancy-group \(id): preempt 'limit' and 'period' must be set together")
      }
    }
    for reference in rethReferences {
      guard let index = RedundantEthernet.index(of: reference.name) else { continue }
      if index >= configuration.rethCount {
        report(
          .error, line: reference.line, column: reference.column,
          "\(reference.name) is beyond 'reth-count \(configuration.rethCount)'")
      }
    }
    for name in configuration.redundantEthernets.keys.sorted() {
      guard let reth = configuration.redundantEthernets[name] else { continue }
      let at =
        rethReferences.first(where: { $0.name == name }).map { ($0.line, $0.column) }
        ?? (end.line, end.column)
      guard let group = reth.redundancyGroup else {
        report(
          .error, line: at.0, column: at.1,
          "\(name) has members or addresses but no 'redundant-ether-options redundancy-group'")
        continue
      }
      if configuration.redundancyGroups[group] == nil {
        report(
          .error, line: at.0, column: at.1,
          "\(name) refers to redundancy-group \(group), which has no priorities configured")
      }
    }
    checkRethAddresses()
    checkSplitBrainPrevention(end: end)
    checkSessionSync()
    checkAuthentication()
    let hasErrors = diagnostics.contains { $0.severity == .error }
    let sorted = diagnostics.enumerated().sorted {
      ($0.element.line, $0.offset) < ($1.element.line, $1.offset)
    }.map(\.element)
    return ConfigurationParseResult(
      configuration: hasErrors ? nil : configuration, diagnostics: sorted)
  }

  /// `authentication none` excludes a key; a previous key needs a current one.
  private mutating func checkAuthentication() {
    let none = authenticationOrigins["authentication"]
    if let none, authenticationOrigins["authentication-key-file"] != nil {
      report(
        .error, line: none.line, column: none.column,
        "'authentication none' contradicts 'authentication-key-file': keep one of them")
    }
    if let previous = authenticationOrigins["previous-authentication-key-file"],
      configuration.authenticationKeyFile == nil
    {
      report(
        .error, line: previous.line, column: previous.column,
        "previous-authentication-key-file needs an authentication-key-file (the current key)")
    }
  }

  /// One owner per address, and none inside the control or fabric networks' addresses.
  private mutating func checkRethAddresses() {
    var owner: [[UInt8]: String] = [:]
    var nodeAddresses: [(String, [UInt8])] = []
    for (n, endpoints) in configuration.nodes.enumerated() {
      for (what, text) in [
        ("control", endpoints.controlAddress), ("fabric", endpoints.fabricAddress),
      ] {
        if let text, case let parsed = InetAddressText.parse(text), !parsed.octets.isEmpty {
          nodeAddresses.append(("node \(n) \(what)-address \(text)", parsed.octets))
        }
      }
    }
    for origin in rethAddressOrigins {
      if let other = owner[origin.address.octets], other != origin.reth {
        report(
          .error, line: origin.line, column: origin.column,
          "\(origin.address.address) is already an address of \(other)")
      }
      owner[origin.address.octets] = origin.reth
      for (what, octets) in nodeAddresses where origin.address.network(contains: octets) {
        report(
          .error, line: origin.line, column: origin.column,
          "\(origin.address) overlaps the \(what): the cluster links need networks of their own")
      }
    }
  }

  mutating func report(
    _ severity: ConfigurationDiagnostic.Severity, line: Int, column: Int, _ message: String
  ) {
    diagnostics.append(
      ConfigurationDiagnostic(
        file: file, line: line, column: column, severity: severity, message: message))
  }
}

extension RedundantEthernet {
  /// `reth12` → 12; nil for anything else.
  public static func index(of name: String) -> Int? {
    guard name.hasPrefix("reth") else { return nil }
    let digits = name.dropFirst(4)
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
      return nil
    }
    return Int(digits)
  }
}

extension String {
  fileprivate var trimmingTrailingSpace: String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
