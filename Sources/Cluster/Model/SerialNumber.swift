/// RFC 1982 serial-number arithmetic for the replicated generations (manual failover, preempt
/// reset, failover-count clear): they wrap at 2^32 and compare by distance, and a jump larger
/// than `maximumStep` is refused — one forged `0xFFFFFFFF` must not freeze every later
/// operator request behind a value no real sequence of requests reaches.
public enum SerialNumber {
  /// The most operator requests one node can make while the other does not hear it.
  public static let maximumStep: UInt32 = 1024

  /// Whether `candidate` is a later generation than `current`, at most `maximumStep` ahead.
  public static func isNewer(
    _ candidate: UInt32, than current: UInt32, maximumStep: UInt32 = maximumStep
  ) -> Bool {
    let distance = candidate &- current
    return distance != 0 && distance <= maximumStep && distance < 1 << 31
  }
}
