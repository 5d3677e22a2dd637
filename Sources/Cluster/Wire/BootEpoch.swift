/// Boot epochs (DESIGN §4): rising on every start, so the peer's replay guard can refuse every
/// message of an earlier boot. The wall clock alone does not rise across a clock step back, so
/// the agent persists the last epoch and takes `max(clock-based, last + 1)`.
public enum BootEpoch {
  /// The epoch of a start at `wallClockMilliseconds`: milliseconds in the high bits, 16 random
  /// low bits (two starts in one millisecond differ), never at or below `last`.
  public static func next(wallClockMilliseconds: Int64, random: UInt16, last: UInt64?) -> UInt64 {
    let clock = UInt64(clamping: max(0, wallClockMilliseconds)) << 16 | UInt64(random)
    guard let last else { return clock }
    return max(clock, last &+ 1 == 0 ? last : last + 1)
  }

  /// The state file's text: one decimal epoch and a newline.
  public static func text(_ epoch: UInt64) -> String { "\(epoch)\n" }

  /// The epoch in a state file, nil when it holds none (a torn or foreign file starts afresh
  /// from the clock, as a first start does).
  public static func parse(_ text: String) -> UInt64? {
    UInt64(text.trimmingSuffix(while: { $0 == "\n" || $0 == " " }))
  }
}

extension String {
  fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
    var end = endIndex
    while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
    return self[..<end]
  }
}
