import CSystemd

/// `sd_notify` for Type=notify units; a no-op when NOTIFY_SOCKET is unset.
enum SystemdNotifier {
  static func notify(_ state: String) {
    _ = sd_notify(0, state)
  }

  /// The watchdog interval systemd expects (WatchdogSec), or nil when none is set.
  static func watchdogInterval() -> Duration? {
    var microseconds: UInt64 = 0
    guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
    return .microseconds(Int64(clamping: microseconds))
  }
}
