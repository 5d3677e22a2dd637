/// The counters of `conntrackd -s` (conntrackd 1.4.7's general statistics), parsed: what the
/// session-sync service reports to the core, and what `show statistics` shows.
///
/// ```
/// cache internal:
/// current active connections:            3
/// connections created:                   5    failed:    0
/// …
/// UDP traffic (active device=sync0):
///                  952 Bytes sent                   80 Bytes recv
///                  115 Pckts sent                    5 Pckts recv
///                    0 Error send                    0 Error recv
/// message tracking:
///                    0 Malformed msgs                    0 Lost msgs
/// ```
public struct ConntrackdStatistics: Sendable, Equatable, Codable {
  /// One of conntrackd's two caches: `internal` holds this node's sessions, `external` the
  /// peer's (what a commit puts into the kernel).
  public struct Cache: Sendable, Equatable, Codable {
    public var active: UInt64 = 0
    public var created: UInt64 = 0
    public var updated: UInt64 = 0
    public var destroyed: UInt64 = 0
    public init() {}
  }

  public var internalCache = Cache()
  public var externalCache = Cache()
  /// `DisableExternalCache On`: conntrackd shows "external inject:" instead of "cache
  /// external:", its counters (in `externalCache`) are the kernel entries it created, updated
  /// and destroyed for the peer, and no count of them is kept (`active` stays 0).
  public var injectsDirectly = false
  public var bytesSent: UInt64 = 0
  public var bytesReceived: UInt64 = 0
  public var packetsSent: UInt64 = 0
  public var packetsReceived: UInt64 = 0
  public var sendErrors: UInt64 = 0
  public var receiveErrors: UInt64 = 0
  public var malformedMessages: UInt64 = 0
  public var lostMessages: UInt64 = 0

  public init() {}

  /// What grows while the peer's sessions arrive: the external cache's size, or with direct
  /// injection the entries injected (the bulk sync is over when it stops growing).
  public var externalProgress: UInt64 {
    injectsDirectly
      ? externalCache.created &+ externalCache.updated &+ externalCache.destroyed
      : externalCache.active
  }

  /// nil when the text has neither cache section (not conntrackd's statistics).
  public static func parse(_ text: String) -> ConntrackdStatistics? {
    var stats = ConntrackdStatistics()
    var section = ""
    var sawCache = false
    for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let line = raw.trimmingWhitespace
      if line.hasPrefix("cache internal") {
        section = "internal"
        sawCache = true
        continue
      }
      if line.hasPrefix("cache external") || line.hasPrefix("external inject") {
        section = "external"
        sawCache = true
        stats.injectsDirectly = line.hasPrefix("external inject")
        continue
      }
      if line.hasSuffix(":") && !line.contains("\t") && !line.hasPrefix("current") {
        section = String(line)
        continue
      }
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      let numbers = words.compactMap { UInt64($0) }
      if section == "internal" || section == "external" {
        var cache = section == "internal" ? stats.internalCache : stats.externalCache
        guard let first = numbers.first else { continue }
        if line.hasPrefix("current active connections") { cache.active = first }
        if line.hasPrefix("connections created") { cache.created = first }
        if line.hasPrefix("connections updated") { cache.updated = first }
        if line.hasPrefix("connections destroyed") { cache.destroyed = first }
        if section == "internal" {
          stats.internalCache = cache
        } else {
          stats.externalCache = cache
        }
        continue
      }
      // "<n> Bytes sent <n> Bytes recv": two counters per line, named by the words after them.
      guard numbers.count == 2 else { continue }
      let text = words.joined(separator: " ")
      if text.contains("Bytes sent") && text.contains("Bytes recv") {
        (stats.bytesSent, stats.bytesReceived) = (numbers[0], numbers[1])
      } else if text.contains("Pckts sent") && text.contains("Pckts recv") {
        (stats.packetsSent, stats.packetsReceived) = (numbers[0], numbers[1])
      } else if text.contains("Error send") && text.contains("Error recv") {
        (stats.sendErrors, stats.receiveErrors) = (numbers[0], numbers[1])
      } else if text.contains("Malformed msgs") && text.contains("Lost msgs") {
        (stats.malformedMessages, stats.lostMessages) = (numbers[0], numbers[1])
      }
    }
    return sawCache ? stats : nil
  }
}

extension Substring {
  fileprivate var trimmingWhitespace: Substring {
    var s = self
    while let first = s.first, first == " " || first == "\t" || first == "\r" { s.removeFirst() }
    while let last = s.last, last == " " || last == "\t" || last == "\r" { s.removeLast() }
    return s
  }
}
