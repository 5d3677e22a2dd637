import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The per-interface sysctls a shared MAC and moving addresses need, written through
/// `/proc/sys/net/...` (per network namespace: the namespace of the writing thread), with the
/// values found before, so `restore()` puts them back.
///
/// Not Sendable: one owner (the data plane's thread).
final class RethSysctls {
  struct Setting: Equatable, Sendable {
    var path: String
    var value: String
  }

  enum Failure: Error, Equatable {
    case io(path: String, errno: Int32)
  }

  /// The root, replaceable for tests.
  let root: String
  /// Path → value found before our first write, in the order written.
  private(set) var previous: [(path: String, value: String)] = []
  /// A file that keeps `previous` while it is not empty (see `recordPath`), or nil.
  let record: String?

  /// With a `record` left by an agent that did not restore (killed, crashed), its values are
  /// the ones found before: what this one writes back, not what that one wrote.
  init(root: String = "/proc/sys/net", record: String? = nil) {
    self.root = root
    self.record = record
    if let record { previous = Self.load(record) }
  }

  /// Where an agent with this control socket keeps the values found before, beside the
  /// socket (the unit's RuntimeDirectory=: it lasts until ExecStopPost= has run, and no
  /// longer than the boot whose values it holds).
  static func recordPath(controlSocket: String) -> String { controlSocket + ".sysctls" }

  /// What a reth needs.
  /// - reth `arp_ignore=1`: answer ARP only for addresses on the reth itself.
  /// - reth `arp_announce=2`: ARP requests from the reth carry a reth address as sender, never
  ///   an address of another interface (which would teach hosts the shared MAC for it).
  /// - reth `rp_filter=2` (loose): a firewall pair routes asymmetrically, and strict mode
  ///   drops such traffic. The kernel uses max(all, interface), so `all=1` still wins.
  /// - IPv6 `accept_dad=0`, `dad_transmits=0`: the peer holds the same address while down;
  ///   belt and braces beside IFA_F_NODAD on each address.
  /// - IPv6 `addr_gen_mode=1` (none): the kernel adds no link-local of its own (under
  ///   `stable_secret` or `random` it would differ per node); we add the EUI-64 one of the
  ///   shared MAC ourselves, identical on both nodes. It must be set before the link first
  ///   comes up.
  /// - parent `arp_ignore=1` (macvlan style only): Linux answers ARP for any local address on
  ///   any interface, so the member would answer for the reth's addresses with its own MAC
  ///   (broadcast requests reach parent and macvlan alike), and hosts would learn the wrong
  ///   MAC. IPv6 needs nothing: the kernel answers a solicitation only for the receiving
  ///   interface's own addresses.
  static func settings(reth: String, parent: String?, ipv6: Bool) -> [Setting] {
    var list = [
      Setting(path: "ipv4/conf/\(reth)/arp_ignore", value: "1"),
      Setting(path: "ipv4/conf/\(reth)/arp_announce", value: "2"),
      Setting(path: "ipv4/conf/\(reth)/rp_filter", value: "2"),
      Setting(path: "ipv6/conf/\(reth)/accept_dad", value: "0"),
      Setting(path: "ipv6/conf/\(reth)/dad_transmits", value: "0"),
    ]
    if parent != nil { list.append(Setting(path: "ipv6/conf/\(reth)/addr_gen_mode", value: "1")) }
    // A host with IPv6 disabled everywhere hands that to new links too.
    if ipv6 { list.append(Setting(path: "ipv6/conf/\(reth)/disable_ipv6", value: "0")) }
    if let parent { list.append(Setting(path: "ipv4/conf/\(parent)/arp_ignore", value: "1")) }
    return list
  }

  /// Writes every setting, remembering the value found the first time a path is written.
  func apply(_ settings: [Setting]) throws {
    for setting in settings {
      let path = "\(root)/\(setting.path)"
      let current = try Self.read(path)
      if !previous.contains(where: { $0.path == path }) {
        previous.append((path, current))
        save()
      }
      if current != setting.value { try Self.write(path, setting.value) }
    }
  }

  /// The value `apply` found at `path` (relative to the root) before its first write.
  func original(_ path: String) -> String? {
    previous.first { $0.path == "\(root)/\(path)" }?.value
  }

  /// The neighbour-queue sysctls of a reth: how many bytes of packets wait for one neighbour
  /// to be resolved (`unres_qlen_bytes`, 208 KiB by default, ~200 small packets).
  static func neighbourQueue(reth: String, ipv6: Bool) -> [String] {
    ["ipv4/neigh/\(reth)/unres_qlen_bytes"] + (ipv6 ? ["ipv6/neigh/\(reth)/unres_qlen_bytes"] : [])
  }

  /// Writes back what `apply` found, newest first; paths that vanished with their interface
  /// (a deleted reth) are skipped. Returns the paths that could not be restored.
  @discardableResult
  func restore() -> [String] { restore { _ in true } }

  /// `restore()` for the entries of these interfaces only.
  @discardableResult
  func restore(interfaces names: [String]) -> [String] {
    restore { path in
      names.contains { path.contains("/conf/\($0)/") || path.contains("/neigh/\($0)/") }
    }
  }

  private func restore(where selected: (String) -> Bool) -> [String] {
    var failed: [String] = []
    for (path, value) in previous.reversed() where selected(path) {
      do {
        try Self.write(path, value)
      } catch Failure.io(_, let code) where code == ENOENT {
        continue
      } catch {
        failed.append(path)
      }
    }
    previous.removeAll { selected($0.path) }
    save()
    return failed
  }

  /// Writes `previous` to the record (atomically), or removes the record when it is empty.
  /// Best effort: without it only a killed agent's leftovers lose their values.
  private func save() {
    guard let record else { return }
    guard !previous.isEmpty else {
      unlink(record)
      return
    }
    let text = previous.map { "\($0.path)\t\($0.value)\n" }.joined()
    let temporary = record + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
    if written == bytes.count { rename(temporary, record) } else { unlink(temporary) }
  }

  /// The entries of a record, `path<TAB>value` a line (tabs are in no interface name);
  /// nothing when there is none.
  static func load(_ record: String) -> [(path: String, value: String)] {
    guard let bytes = try? FileReader.readBytes(record) else { return [] }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
      let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      guard fields.count == 2 else { return nil }
      return (String(fields[0]), String(fields[1]))
    }
  }

  static func read(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Failure.io(path: path, errno: errno) }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = Glibc.read(fd, &buffer, buffer.count)
    guard count >= 0 else { throw Failure.io(path: path, errno: errno) }
    var text = String(decoding: buffer.prefix(count), as: UTF8.self)
    while text.last == "\n" { text.removeLast() }
    return text
  }

  static func write(_ path: String, _ value: String) throws {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Failure.io(path: path, errno: errno) }
    defer { close(fd) }
    let bytes = Array((value + "\n").utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw Failure.io(path: path, errno: errno) }
  }
}
