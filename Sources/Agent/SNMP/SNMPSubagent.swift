import CNetSNMP
import MIB
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Net-SNMP AgentX subagent bridge (DESIGN.md §2, §7).
///
/// One dedicated OS thread owns every net-snmp call: initialisation, the registration of one
/// read-only handler for `root`, the event loop, notifications and shutdown. Other threads only
/// swap the data source (`update`), enqueue notifications (`send`) and read state; none of them
/// ever waits on the SNMP thread except `stop()`, which joins it.
///
/// net-snmp keeps global state and 5.9.3 cannot re-initialise an AgentX subagent after
/// `snmp_shutdown` (a static once-guard in `subagent_init`), so exactly ONE subagent can be
/// started per process, once; any later `start()` is refused (logged, returns false).
final class SNMPSubagent: Sendable {
  static let notificationQueueCapacity = 1000
  /// AgentX ping / reconnect interval in seconds.
  static let pingInterval: Int32 = 1
  static let appName = "ccagentd"

  let socket: String
  let root: OID
  let logger: @Sendable (String) -> Void

  private struct Pending: Sendable {
    var oid: OID
    var varbinds: [VarBind]
  }

  private struct State: Sendable {
    var source: any SNMPDataSource = EmptySNMPDataSource()
    var queue: [Pending] = []
    var queueHead = 0  // index of the oldest pending notification in `queue`
    var dropped = 0
    var sent = 0
    var connected = false
    var handlers: [@Sendable (Bool) -> Void] = []
    var thread: NamedThread?
    var started = false
    var stopping = false
    var connectWarningLogged = false

    var queuedCount: Int { queue.count - queueHead }

    mutating func takeOne() -> Pending? {
      guard queueHead < queue.count else { return nil }
      let p = queue[queueHead]
      queueHead += 1
      if queueHead == queue.count {
        queue.removeAll(keepingCapacity: true)
        queueHead = 0
      } else if queueHead >= 64 && queueHead * 2 >= queue.count {
        queue.removeFirst(queueHead)
        queueHead = 0
      }
      return p
    }
  }

  private let state = Mutex(State())
  private let wakePipe: WakePipe?

  /// Process-wide: net-snmp is a singleton that can be initialised once (see above).
  private static let running = Mutex(false)

  init(socket: String, root: OID, logger: @escaping @Sendable (String) -> Void) {
    self.socket = socket
    self.root = root
    self.logger = logger
    do {
      wakePipe = try WakePipe()
    } catch {
      wakePipe = nil
      logger("SNMP: \(error)")
    }
  }

  // MARK: Public API (any thread)

  /// True while an AgentX session with the master agent is open.
  var isConnected: Bool { state.withLock { $0.connected } }

  /// Notifications dropped because the queue was full (oldest first).
  var droppedNotifications: Int { state.withLock { $0.dropped } }

  /// Notifications waiting for the master agent.
  var queuedNotifications: Int { state.withLock { $0.queuedCount } }

  /// Notifications handed to net-snmp (`send_v2trap`) so far.
  var sentNotifications: Int { state.withLock { $0.sent } }

  /// Called on the SNMP thread whenever the AgentX session opens (true) or closes (false).
  /// Keep the handler short and non-blocking.
  func onConnectionChange(_ handler: @escaping @Sendable (Bool) -> Void) {
    state.withLock { $0.handlers.append(handler) }
  }

  /// Replaces the data source; the next request is answered from it.
  func update(_ source: any SNMPDataSource) {
    state.withLock { $0.source = source }
  }

  /// Enqueues a notification (never blocks on SNMP). `notification` becomes snmpTrapOID.0;
  /// sysUpTime.0 is added by net-snmp. Sent only while connected; kept queued otherwise.
  func send(notification: OID, varbinds: [VarBind]) {
    let dropped: Bool = state.withLock { s in
      var dropped = false
      if s.queuedCount >= Self.notificationQueueCapacity {
        _ = s.takeOne()
        s.dropped += 1
        dropped = true
      }
      s.queue.append(Pending(oid: notification, varbinds: varbinds))
      return dropped
    }
    if dropped {
      logger(
        "SNMP: notification queue full (\(Self.notificationQueueCapacity)), dropped the oldest")
    }
    wake()
  }

  /// Spawns the SNMP thread. Returns false if it could not be started.
  @discardableResult
  func start() -> Bool {
    let go: Bool = state.withLock { s in
      if s.started { return false }
      s.started = true
      return true
    }
    guard go else { return false }
    let claimed = Self.running.withLock { r -> Bool in
      if r { return false }
      r = true
      return true
    }
    guard claimed else {
      logger(
        "SNMP: a subagent was already started in this process (net-snmp can be initialised only once); not starting"
      )
      return false
    }
    // The subagent needs no MIB files; without this net-snmp's init_mib() tries the default
    // module list and logs hundreds of "Cannot find module" lines (DESIGN.md §7). Done here,
    // before the SNMP thread exists; start() belongs at daemon start-up (setenv is not
    // thread-safe against concurrent getenv).
    setenv("MIBS", "", 1)
    let thread = NamedThread(name: "ccagent-snmp") { [self] in threadMain() }
    let rc = thread.start()
    guard rc == 0 else {
      Self.running.withLock { $0 = false }
      logger("SNMP: cannot create the SNMP thread (error \(rc))")
      return false
    }
    state.withLock { $0.thread = thread }
    return true
  }

  /// Stops the SNMP thread (closing the AgentX session) and joins it.
  func stop() {
    let thread: NamedThread? = state.withLock { s in
      s.stopping = true
      let t = s.thread
      s.thread = nil
      return t
    }
    wake()
    thread?.join()
  }

  // MARK: SNMP thread

  private func wake() {
    wakePipe?.wake()
  }

  private func threadMain() {
    let ctx = Unmanaged.passUnretained(self).toOpaque()
    let rc = root.components.withUnsafeBufferPointer { r in
      ccsnmp_init(
        Self.appName, socket, r.baseAddress, r.count, Self.pingInterval,
        snmpLookupCallback, snmpLogCallback, snmpConnectionCallback, ctx)
    }
    if rc == -2 {
      logger("SNMP: net-snmp was already initialised in this process; the subagent is not started")
      return
    }
    if rc != 0 {
      logger("SNMP: cannot register the subtree \(root)")
    }
    while !state.withLock({ $0.stopping }) {
      _ = ccsnmp_loop_once(wakePipe?.readDescriptor ?? -1, 1000)
      flushNotifications()
    }
    ccsnmp_shutdown(Self.appName)
    let wasConnected = state.withLock { s -> Bool in
      let c = s.connected
      s.connected = false
      return c
    }
    if wasConnected { notifyHandlers(false) }
  }

  private func flushNotifications() {
    while ccsnmp_is_connected() != 0 {
      guard let p = state.withLock({ s -> Pending? in s.stopping ? nil : s.takeOne() }) else {
        return
      }
      let list = p.oid.components.withUnsafeBufferPointer {
        ccsnmp_trap_new($0.baseAddress, $0.count)
      }
      guard let list else {
        logger("SNMP: invalid notification OID, dropped")
        continue
      }
      for vb in p.varbinds {
        vb.oid.components.withUnsafeBufferPointer { o in
          withCValue(vb.value) { tag, number, bytes, len in
            ccsnmp_trap_add(list, o.baseAddress, o.count, tag, number, bytes, len)
          }
        }
      }
      ccsnmp_trap_send(list)
      state.withLock { $0.sent += 1 }
    }
  }

  fileprivate func connectionChanged(_ up: Bool) {
    let changed = state.withLock { s -> Bool in
      let c = s.connected != up
      s.connected = up
      s.connectWarningLogged = false
      return c
    }
    guard changed else { return }
    notifyHandlers(up)
  }

  private func notifyHandlers(_ up: Bool) {
    let handlers = state.withLock { $0.handlers }
    for h in handlers { h(up) }
  }

  fileprivate func lookup(mode: Int32, oid: OID, varbind: UnsafeMutableRawPointer) -> Int32 {
    let source = state.withLock { $0.source }
    if mode == Int32(CCSNMP_MODE_GET) {
      guard oid.hasPrefix(root), oid.count > root.count else {
        return Int32(CCSNMP_NO_SUCH_OBJECT)
      }
      if let value = source.get(oid) {
        setVarbindValue(varbind, value)
        return Int32(CCSNMP_FOUND)
      }
      return source.hasObject(covering: oid)
        ? Int32(CCSNMP_NO_SUCH_INSTANCE) : Int32(CCSNMP_NO_SUCH_OBJECT)
    }
    // GETNEXT (and GETBULK): strictly greater, inside our subtree.
    guard let next = source.getNext(oid), next.oid.hasPrefix(root), oid < next.oid else {
      return Int32(CCSNMP_END_OF_VIEW)
    }
    next.oid.components.withUnsafeBufferPointer {
      ccsnmp_var_set_name(varbind, $0.baseAddress, $0.count)
    }
    setVarbindValue(varbind, next.value)
    return Int32(CCSNMP_FOUND)
  }

  fileprivate func log(priority: Int32, message: String) {
    var m = Substring(message)
    while let last = m.last, last.isNewline { m.removeLast() }
    guard !m.isEmpty else { return }
    // While the master is away net-snmp retries every ping interval and warns each time:
    // log the first warning only, until the connection state changes.
    if m.contains("Failed to connect to the agentx master agent") {
      let repeated = state.withLock { s -> Bool in
        defer { s.connectWarningLogged = true }
        return s.connectWarningLogged
      }
      if repeated { return }
    }
    let level: String
    switch priority {
    case 0...3: level = "error"
    case 4: level = "warning"
    case 5, 6: level = "info"
    default: level = "debug"
    }
    logger("net-snmp \(level): \(m)")
  }
}

private func setVarbindValue(_ varbind: UnsafeMutableRawPointer, _ value: SNMPValue) {
  withCValue(value) { tag, number, bytes, len in
    ccsnmp_var_set_value(varbind, tag, number, bytes, len)
  }
}

/// Presents a value as the shim's (tag, number, bytes, length) quadruple. BITS travel as
/// the OCTET STRING they are on the wire (RFC 2578 §7.1.4).
private func withCValue<R>(
  _ value: SNMPValue,
  _ body: (Int32, UInt64, UnsafeRawPointer?, Int) -> R
) -> R {
  switch value {
  case .integer(let v): return body(Int32(CCSNMP_INTEGER), UInt64(UInt32(bitPattern: v)), nil, 0)
  case .unsigned(let v): return body(Int32(CCSNMP_UNSIGNED), UInt64(v), nil, 0)
  case .counter32(let v): return body(Int32(CCSNMP_COUNTER32), UInt64(v), nil, 0)
  case .counter64(let v): return body(Int32(CCSNMP_COUNTER64), v, nil, 0)
  case .timeTicks(let v): return body(Int32(CCSNMP_TIMETICKS), UInt64(v), nil, 0)
  case .octetString(let bytes), .bits(let bytes):
    return bytes.withUnsafeBytes { body(Int32(CCSNMP_OCTETSTRING), 0, $0.baseAddress, $0.count) }
  case .objectIdentifier(let oid):
    // For OIDs the length is the number of sub-identifiers.
    return oid.components.withUnsafeBufferPointer {
      body(Int32(CCSNMP_OID), 0, UnsafeRawPointer($0.baseAddress), $0.count)
    }
  }
}

// C callbacks: `ctx` is the running SNMPSubagent (kept alive by its thread).
private let snmpLookupCallback: ccsnmp_lookup_fn = { ctx, mode, oid, len, varbind in
  guard let ctx, let varbind else { return Int32(CCSNMP_NO_SUCH_OBJECT) }
  let agent = Unmanaged<SNMPSubagent>.fromOpaque(ctx).takeUnretainedValue()
  let requested = OID(Array(UnsafeBufferPointer(start: oid, count: len)))
  return agent.lookup(mode: mode, oid: requested, varbind: varbind)
}

private let snmpLogCallback: ccsnmp_log_fn = { ctx, priority, msg in
  guard let ctx, let msg else { return }
  Unmanaged<SNMPSubagent>.fromOpaque(ctx).takeUnretainedValue()
    .log(priority: priority, message: String(cString: msg))
}

private let snmpConnectionCallback: ccsnmp_conn_fn = { ctx, connected in
  guard let ctx else { return }
  Unmanaged<SNMPSubagent>.fromOpaque(ctx).takeUnretainedValue().connectionChanged(connected != 0)
}
