import Cluster

/// Every instance of CHASSIS-CLUSTER-MIB for one snapshot, materialised once into an array
/// sorted by OID, so GET and GETNEXT are binary searches and a snapshot is converted once per
/// change rather than once per request.
public struct MIBView: Sendable {
  public struct Entry: Sendable, Hashable {
    public let oid: OID
    public let value: SNMPValue
  }

  /// The node this agent runs on: notifications index per-node rows with it.
  public let localNode: Int
  /// Strictly increasing by OID.
  public private(set) var entries: [Entry]
  /// The redundancy groups in split brain in the snapshot (ccSplitBrainStatus is detected(2)
  /// while this is not empty): notifications tell the state right after their event from it.
  public let splitBrainGroups: [Int]

  public init(snapshot: ClusterSnapshot, context: MIBContext) {
    localNode = snapshot.status.localNode
    splitBrainGroups = snapshot.splitBrain.active
    var builder = Builder(context: context)
    builder.addScalars(snapshot, context: context)
    builder.addGroupTable(snapshot)
    builder.addGroupNodeTable(snapshot)
    builder.addInterfaceMonitorTable(snapshot)
    builder.addIPMonitorTable(snapshot)
    builder.addRethTable(snapshot)
    builder.addRethAddressTable(snapshot)
    builder.addSessionSync(snapshot.statistics.sessionSync)
    builder.addWitness(snapshot.witness)
    entries = builder.entries
    assert(zip(entries, entries.dropFirst()).allSatisfy { $0.oid < $1.oid }, "view not sorted")
  }

  public var count: Int { entries.count }

  /// The value of an instance, or nil (noSuchObject/noSuchInstance: the caller tells which).
  public func get(_ oid: OID) -> SNMPValue? {
    let position = lowerBound(oid)
    guard position < entries.count, entries[position].oid == oid else { return nil }
    return entries[position].value
  }

  /// The first instance after `oid` (at or after it when `inclusive`, as an AgentX GetNext
  /// range may ask); nil past the end of the view (endOfMibView).
  public func getNext(_ oid: OID, inclusive: Bool = false) -> (oid: OID, value: SNMPValue)? {
    var position = lowerBound(oid)
    if !inclusive, position < entries.count, entries[position].oid == oid { position += 1 }
    guard position < entries.count else { return nil }
    return (entries[position].oid, entries[position].value)
  }

  /// ccNotificationsDropped changes without a new snapshot; patch it in place rather than
  /// rebuilding the view.
  public mutating func setNotificationsDropped(_ count: UInt32) {
    let oid = MIBDefinition.ccNotificationsDropped.oid + [0]
    let position = lowerBound(oid)
    guard position < entries.count, entries[position].oid == oid else { return }
    entries[position] = Entry(oid: oid, value: .counter32(count))
  }

  /// The index of the first entry whose OID is not less than `oid`.
  private func lowerBound(_ oid: OID) -> Int {
    var low = 0
    var high = entries.count
    while low < high {
      let mid = low + (high - low) / 2
      if entries[mid].oid < oid {
        low = mid + 1
      } else {
        high = mid
      }
    }
    return low
  }
}

// MARK: - Enumerations served as INTEGER

extension MIBView {
  /// CcLinkStatus.
  static func linkStatus(_ status: ClusterLinkStatus) -> Int32 {
    switch status {
    case .up: 1
    case .down: 2
    }
  }

  /// ccLanLinkStatus: CcLinkStatus's numbers, and notConfigured(4) without a LAN heartbeat
  /// (the counters beside it are 0 then).
  static func lanLinkStatus(_ status: ClusterLinkStatus?) -> Int32 {
    status.map(linkStatus) ?? 4
  }

  /// CcPeerState.
  static func peerState(_ status: PeerStatus) -> Int32 {
    switch status {
    case .up: 1
    case .lost: 2
    case .unknown: 3
    }
  }

  /// ccIfMonStatus. A monitor that applies only to the other node has no local state:
  /// notMonitored(4), not notPresent(3), which counts as down and would alarm pollers.
  static func interfaceStatus(_ state: LinkState?) -> Int32 {
    switch state {
    case .up?: 1
    case .down?: 2
    case .absent?: 3
    case nil: 4
    }
  }

  /// ccIpMonStatus: unknown(3) when this node does not probe the address.
  static func ipStatus(_ reachable: Bool?) -> Int32 {
    switch reachable {
    case true?: 1
    case false?: 2
    case nil: 3
    }
  }

  /// CcFailureCodes: FailureCodes' bit n is BITS bit n, the MSB-first bit n of the octet.
  static func failureBits(_ codes: FailureCodes) -> SNMPValue {
    .bits(positions: (0..<8).filter { codes.rawValue & (1 << $0) != 0 })
  }

  /// ccRethMac: the shared MAC; empty when the member keeps its own or the reth does not run
  /// here.
  static func macOctets(_ mac: RethMACAssignment) -> [UInt8] {
    if case .shared(let bytes) = mac { return bytes }
    return []
  }

  /// ccRethOperStatus: up(1) while this node holds the reth.
  static func rethOperStatus(active: Bool) -> Int32 { active ? 1 : 2 }

  /// ccRethMemberStatus: the local members' link, as for interface monitors.
  static func rethMemberStatus(_ state: LinkState) -> Int32 {
    switch state {
    case .up: 1
    case .down: 2
    case .absent: 3
    }
  }
}

// MARK: - Materialisation

/// Appends instances in OID order: scalars, then each table column by column, rows by index,
/// then the ccSessionSync and ccWitness scalars (MIBView+SessionSync, MIBView+Witness).
struct Builder {
  let timeStamp: @Sendable (ClusterTime) -> UInt32
  var entries: [MIBView.Entry] = []

  init(context: MIBContext) { timeStamp = context.timeStamp }

  /// A row of a table: its index and the values of columns 2, 3, … (column 1 is the
  /// not-accessible index). A nil value leaves that instance out.
  struct Row {
    var index: [UInt32]
    var values: [SNMPValue?]
  }

  mutating func addScalars(_ snapshot: ClusterSnapshot, context: MIBContext) {
    let status = snapshot.status
    let stats = snapshot.statistics
    let digestStatus: Int32 =
      snapshot.configMismatch ? 2 : status.peer == .unknown ? 3 : 1
    let values: [(MIBObject, SNMPValue)] = [
      (MIBDefinition.ccClusterId, integer(status.clusterId)),
      (MIBDefinition.ccLocalNodeId, integer(status.localNode)),
      (MIBDefinition.ccHeartbeatInterval, gauge(context.heartbeatIntervalMilliseconds)),
      (MIBDefinition.ccHeartbeatThreshold, gauge(context.heartbeatThreshold)),
      (MIBDefinition.ccControlLinkStatus, .integer(MIBView.linkStatus(status.controlLink))),
      (MIBDefinition.ccFabricLinkStatus, .integer(MIBView.linkStatus(status.fabricLink))),
      (MIBDefinition.ccPeerStatus, .integer(MIBView.peerState(status.peer))),
      (MIBDefinition.ccHeartbeatsSent, .counter64(stats.heartbeatsSent)),
      (MIBDefinition.ccHeartbeatsReceived, .counter64(stats.heartbeatsReceived)),
      (MIBDefinition.ccHeartbeatErrors, .counter64(stats.heartbeatErrors)),
      (MIBDefinition.ccProbesSent, .counter64(stats.probesSent)),
      (MIBDefinition.ccProbesReceived, .counter64(stats.probesReceived)),
      (MIBDefinition.ccProbeErrors, .counter64(stats.probeErrors)),
      (MIBDefinition.ccSplitBrainStatus, .integer(snapshot.splitBrain.active.isEmpty ? 1 : 2)),
      (MIBDefinition.ccSplitBrainLastDetected, ticks(snapshot.splitBrain.lastDetectedAt)),
      (MIBDefinition.ccSplitBrainCount, counter(snapshot.splitBrain.count)),
      (MIBDefinition.ccConfigDigestStatus, .integer(digestStatus)),
      (MIBDefinition.ccNotificationsDropped, .counter32(context.notificationsDropped)),
      (MIBDefinition.ccLanLinkStatus, .integer(MIBView.lanLinkStatus(status.lanLink))),
      (MIBDefinition.ccLanHeartbeatsSent, .counter64(stats.lanHeartbeatsSent ?? 0)),
      (MIBDefinition.ccLanHeartbeatsReceived, .counter64(stats.lanHeartbeatsReceived ?? 0)),
      (MIBDefinition.ccLanHeartbeatErrors, .counter64(stats.lanHeartbeatErrors ?? 0)),
    ]
    addScalars(values)
  }

  /// Scalar instances (.0), in the order given (which must be the OID order).
  mutating func addScalars(_ values: [(MIBObject, SNMPValue)]) {
    for (object, value) in values {
      entries.append(MIBView.Entry(oid: object.oid + [0], value: value))
    }
  }

  mutating func addGroupTable(_ snapshot: ClusterSnapshot) {
    let details = details(snapshot)
    let rows = snapshot.status.redundancyGroups.compactMap { group -> Row? in
      guard let id = UInt32(exactly: group.id) else { return nil }
      let detail = details[group.id]
      return Row(
        index: [id],
        values: [
          counter(group.failoverCount),
          detail.map { ticks($0.lastFailoverAt) },
          detail.map { .displayString($0.lastFailoverReason ?? "") },
          detail.map { .truthValue($0.preempt) },
          detail.map { gauge($0.holdDownIntervalSeconds) },
          integer(group.primaryNode ?? -1),
          detail.map { integer($0.manualTarget ?? -1) },
        ])
    }
    addTable(MIBDefinition.ccRedundancyGroupEntry, rows)
  }

  mutating func addGroupNodeTable(_ snapshot: ClusterSnapshot) {
    let details = details(snapshot)
    var rows: [Row] = []
    for group in snapshot.status.redundancyGroups {
      guard let id = UInt32(exactly: group.id) else { continue }
      let detail = details[group.id]
      for node in group.nodes {
        guard let nodeID = UInt32(exactly: node.node) else { continue }
        let isLocal = node.node == snapshot.status.localNode
        let codes = node.failureCodes
        let lastChange = isLocal ? detail?.lastTransitionAt : detail?.peerLastChange
        rows.append(
          Row(
            index: [id, nodeID],
            values: [
              gauge(node.configuredPriority ?? 0),
              gauge(node.priority),
              .integer(Int32(node.status.rawValue)),
              .truthValue(node.manualFailover),
              // A lost peer has no weight ("n/a"): 0, with ccRgNodeWeightKnown false(2).
              integer(node.weight ?? 0),
              MIBView.failureBits(codes),
              ticks(lastChange),
              .displayString(codes.abbreviations.joined(separator: " ")),
              .truthValue(node.weight != nil),
            ]))
      }
    }
    addTable(MIBDefinition.ccRedundancyGroupNodeEntry, rows)
  }

  mutating func addInterfaceMonitorTable(_ snapshot: ClusterSnapshot) {
    let rows = snapshot.interfaceMonitors.compactMap { monitor -> Row? in
      guard let id = UInt32(exactly: monitor.group), let index = UInt32(exactly: monitor.index),
        index >= 1
      else { return nil }
      return Row(
        index: [id, index],
        values: [
          .displayString(monitor.interface),
          gauge(monitor.weight),
          .integer(MIBView.interfaceStatus(monitor.state)),
          integer(monitor.node ?? -1),
          ticks(monitor.lastChangeMilliseconds.map(ClusterTime.milliseconds)),
        ])
    }
    addTable(MIBDefinition.ccInterfaceMonitorEntry, rows)
  }

  mutating func addIPMonitorTable(_ snapshot: ClusterSnapshot) {
    let rows = snapshot.ipMonitors.compactMap { monitor -> Row? in
      guard let id = UInt32(exactly: monitor.group), let index = UInt32(exactly: monitor.index),
        index >= 1
      else { return nil }
      let address = InetAddressText.parse(monitor.address)
      return Row(
        index: [id, index],
        values: [
          .integer(address.type.rawValue),
          .octetString(address.octets),
          gauge(monitor.weight),
          .integer(MIBView.ipStatus(monitor.reachable)),
          ticks(monitor.lastChangeMilliseconds.map(ClusterTime.milliseconds)),
          .displayString(monitor.address),
        ])
    }
    addTable(MIBDefinition.ccIpMonitorEntry, rows)
  }

  mutating func addRethTable(_ snapshot: ClusterSnapshot) {
    let rows = snapshot.redundantEthernets.compactMap { reth -> Row? in
      guard let index = UInt32(exactly: reth.index) else { return nil }
      return Row(
        index: [index],
        values: [
          .displayString(reth.name),
          reth.group.map(integer),
          .octetString(MIBView.macOctets(reth.mac)),
          .integer(MIBView.rethOperStatus(active: reth.active)),
          // No member on this node: notPresent(3), whatever the core makes of absent ones.
          .integer(reth.members.isEmpty ? 3 : MIBView.rethMemberStatus(reth.state)),
          gauge(reth.addresses.count),
          counter(reth.counters.gratuitousARPsSent),
          counter(reth.counters.neighbourAdvertisementsSent),
          counter(reth.counters.restores),
          ticks(reth.lastChangeMilliseconds.map(ClusterTime.milliseconds)),
        ])
    }
    addTable(MIBDefinition.ccRethEntry, rows)
  }

  mutating func addRethAddressTable(_ snapshot: ClusterSnapshot) {
    var rows: [Row] = []
    for reth in snapshot.redundantEthernets {
      guard let index = UInt32(exactly: reth.index) else { continue }
      for (offset, address) in reth.addresses.enumerated() {
        rows.append(
          Row(
            index: [index, UInt32(offset + 1)],
            values: [
              .integer(address.family == .inet ? 1 : 2),
              .octetString(address.octets),
              gauge(address.prefixLength),
              .displayString(address.address),
            ]))
      }
    }
    addTable(MIBDefinition.ccRethAddressEntry, rows)
  }

  /// Column by column (GETNEXT walks a table that way), rows in index order. A repeated index
  /// keeps its first row: an OID can have one value only.
  private mutating func addTable(_ entry: MIBObject, _ rows: [Row]) {
    var sorted = rows.sorted { OID($0.index) < OID($1.index) }
    var seen = Set<[UInt32]>()
    sorted.removeAll { !seen.insert($0.index).inserted }
    let columns = sorted.map(\.values.count).max() ?? 0
    for column in 0..<columns {
      let prefix = entry.oid + [UInt32(column + 2)]
      for row in sorted {
        guard let value = row.values[column] else { continue }
        entries.append(MIBView.Entry(oid: prefix + row.index, value: value))
      }
    }
  }

  private func details(_ snapshot: ClusterSnapshot) -> [Int: GroupDetail] {
    Dictionary(snapshot.groups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
  }

  func ticks(_ time: ClusterTime?) -> SNMPValue {
    .timeTicks(time.map(timeStamp) ?? 0)
  }

  func integer(_ value: Int) -> SNMPValue { .integer(Int32(clamping: value)) }

  func gauge(_ value: Int) -> SNMPValue { .unsigned(UInt32(clamping: value)) }

  /// Counters wrap at 2^32 (RFC 2578 §7.1.6); the truncation is the wrap.
  func counter(_ value: Int) -> SNMPValue {
    .counter32(UInt32(truncatingIfNeeded: max(0, value)))
  }
}
