import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// What someone else did to an active reth.
enum TamperKind: Equatable, Sendable {
  case addressRemoved(IPPrefix)
  case linkDown
  case linkDeleted
  /// The kernel dropped notifications (socket buffer overrun): anything may have changed.
  case eventsLost
}

/// What the watchdog watches: active reths by name, with their link index and addresses.
/// Shared between the controller (which writes it) and the watchdog thread (which reads it).
final class RethWatchList: Sendable {
  struct Entry: Equatable, Sendable {
    var index: Int32
    var addresses: Set<IPPrefix>
  }

  private struct State {
    var entries: [String: Entry] = [:]
    /// Bumped by every watch and unwatch of a name: a check made in between is void.
    var generations: [String: UInt64] = [:]
    var counter: UInt64 = 0

    mutating func bump(_ name: String) {
      counter &+= 1
      generations[name] = counter
    }
  }

  private let state = Mutex(State())

  func watch(_ name: String, _ entry: Entry) {
    state.withLock {
      $0.entries[name] = entry
      $0.bump(name)
    }
  }
  func unwatch(_ name: String) {
    state.withLock {
      $0.entries.removeValue(forKey: name)
      $0.bump(name)
    }
  }
  func snapshot() -> [String: Entry] { state.withLock { $0.entries } }
  func generation(of name: String) -> UInt64 { state.withLock { $0.generations[name] ?? 0 } }
  /// The entries and their generations, read together.
  func versionedSnapshot() -> (entries: [String: Entry], generations: [String: UInt64]) {
    state.withLock { ($0.entries, $0.generations) }
  }
}

/// Follows rtnetlink's link and address notifications (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
/// RTNLGRP_IPV6_IFADDR) on its own thread and reports, for watched (active) reths, an address
/// removed or the link set down or deleted.
///
/// Reports are hints, not verdicts: a notification may describe a state already repaired, or
/// our own deactivation racing a re-activation. The controller's `restore()` checks the real
/// state and only repairs (and counts) what is actually missing.
///
/// Our own address removals are recognised by the notification's `nlmsg_pid`: the kernel puts
/// the requesting socket's port id there for address changes (`ignoredPort`). Link changes
/// always carry 0, so the controller unwatches a reth before taking it down.
final class RethWatchdog: Sendable {
  /// RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR.
  static let groups: UInt32 = 0x1 | 0x10 | 0x100

  private let fd: Int32
  private let wake: WakePipe
  private let stopping = Atomic<Bool>(false)
  private let thread: Mutex<NamedThread?> = Mutex(nil)
  let list: RethWatchList
  private let ignoredPort: UInt32
  private let report: @Sendable (String, TamperKind) -> Void

  /// Opens the subscription in the calling thread's network namespace and starts the thread
  /// (which inherits that namespace). `stop()` must be called: the thread holds the watchdog.
  init(
    list: RethWatchList, ignoredPort: UInt32,
    report: @escaping @Sendable (_ reth: String, _ change: TamperKind) -> Void
  ) throws {
    let (fd, _) = try RouteNetlink.openSocket(groups: Self.groups)
    var size: Int32 = 1 << 20
    // FORCE passes rmem_max (a burst after a flush must fit) but needs CAP_NET_ADMIN.
    if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4) != 0 {
      _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
    }
    do {
      wake = try WakePipe()
    } catch {
      Glibc.close(fd)
      throw RouteNetlinkError.system(call: "pipe", errno: errno)
    }
    self.fd = fd
    self.list = list
    self.ignoredPort = ignoredPort
    self.report = report
    let thread = NamedThread(name: "reth-watchdog") { [self] in run() }
    self.thread.withLock { $0 = thread }
    let rc = thread.start()
    if rc != 0 {
      Glibc.close(fd)
      throw RouteNetlinkError.system(call: "pthread_create", errno: rc)
    }
  }

  /// Stops and joins the thread, then closes the socket. Idempotent.
  func stop() {
    guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
    wake.wake()
    let thread = self.thread.withLock { current -> NamedThread? in
      defer { current = nil }
      return current
    }
    thread?.join()
    Glibc.close(fd)
  }

  private func run() {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    // Our own request socket, owned by this thread: it checks a change against the kernel's
    // present state before reporting it (see `stillTrue`).
    let checker = try? RouteNetlink()
    while !stopping.load(ordering: .acquiring) {
      var fds = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
        pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&fds, 2, -1)
      if ready < 0 { continue }  // EINTR
      if fds[1].revents != 0 { wake.drain() }
      guard fds[0].revents != 0 else { continue }
      let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
      if count < 0 {
        if errno == ENOBUFS {
          for name in list.snapshot().keys { report(name, .eventsLost) }
        }
        continue
      }
      let (watched, generations) = list.versionedSnapshot()
      for (name, change) in Self.changes(
        in: Array(buffer.prefix(count)), watched: watched, ignoring: ignoredPort)
      where Self.stillTrue(change, index: watched[name]?.index, checker: checker) {
        // Our own deactivation and re-activation in between: the check saw our work, not theirs.
        guard generations[name] == list.generation(of: name) else { continue }
        report(name, change)
      }
    }
  }

  /// Whether `change` still holds now. Notifications are read after the fact: a link-down
  /// notification of our own deactivation (link notifications carry no port id) may be read
  /// after a re-activation has watched the reth again, and an operator's change may already be
  /// undone. Without a checker (it could not be opened) every change is reported.
  private static func stillTrue(_ change: TamperKind, index: Int32?, checker: RouteNetlink?)
    -> Bool
  {
    guard let checker, let index else { return true }
    do {
      switch change {
      case .linkDown:
        return try checker.link(index: index).map { !$0.isAdministrativelyUp } ?? true
      case .addressRemoved(let prefix):
        return try !checker.addresses(index: index).contains { $0.prefix == prefix }
      case .linkDeleted, .eventsLost:
        return true
      }
    } catch {
      return true
    }
  }

  /// The tampering a datagram of notifications shows for `watched` reths. Pure.
  static func changes(
    in bytes: [UInt8], watched: [String: RethWatchList.Entry], ignoring port: UInt32
  )
    -> [(String, TamperKind)]
  {
    var result: [(String, TamperKind)] = []
    for message in LinkMonitor.messages(in: bytes) {
      switch message.type {
      case RouteNetlinkCodec.delAddress:
        guard message.pid != port || port == 0,
          let record = RouteNetlinkCodec.address(in: bytes, message)
        else { continue }
        for (name, entry) in watched
        where entry.index == record.index && entry.addresses.contains(record.prefix) {
          result.append((name, .addressRemoved(record.prefix)))
        }
      case RouteNetlinkCodec.newLink:
        guard let link = RouteNetlinkCodec.link(in: bytes, message), !link.isAdministrativelyUp
        else { continue }
        for (name, entry) in watched where entry.index == link.index {
          result.append((name, .linkDown))
        }
      case RouteNetlinkCodec.delLink:
        guard message.payload.count >= RouteNetlinkCodec.ifinfoLength,
          let index = RouteNetlinkCodec.load(Int32.self, bytes, at: message.payload.lowerBound + 4),
          bytes[message.payload.lowerBound] == UInt8(AF_UNSPEC)
        else { continue }
        for (name, entry) in watched where entry.index == index {
          result.append((name, .linkDeleted))
        }
      default:
        continue
      }
    }
    return result
  }
}
