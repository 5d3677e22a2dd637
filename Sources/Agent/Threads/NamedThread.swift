import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A plain OS thread for the blocking work that must never occupy Swift's cooperative pool
/// (net-snmp's loop, netlink reads, ICMP polls). Named (at most 15 bytes) so `top -H` and
/// `/proc/PID/task/*/comm` show what it is; joinable, so a service's stop waits for its end.
final class NamedThread: Sendable {
  let name: String
  private let body: @Sendable () -> Void
  private let thread = Mutex<pthread_t?>(nil)

  init(name: String, body: @escaping @Sendable () -> Void) {
    self.name = name
    self.body = body
  }

  /// Starts the thread; returns 0, or pthread_create's error number.
  @discardableResult
  func start() -> Int32 {
    let box = Unmanaged.passRetained(self)
    var handle = pthread_t()
    let rc = pthread_create(
      &handle, nil,
      { raw in
        let me = Unmanaged<NamedThread>.fromOpaque(raw!).takeRetainedValue()
        me.setName()
        me.body()
        return nil
      }, box.toOpaque())
    guard rc == 0 else {
      box.release()
      return rc
    }
    thread.withLock { $0 = handle }
    return 0
  }

  /// A started thread for `what`; a refusal is logged (the part then does nothing).
  static func launch(
    name: String, what: String, logger: Logger, body: @escaping @Sendable () -> Void
  ) -> NamedThread {
    let thread = NamedThread(name: name, body: body)
    let rc = thread.start()
    if rc != 0 {
      logger.error("cannot start the \(what) thread", metadata: ["ERRNO": "\(rc)"])
    }
    return thread
  }

  /// Waits for the body to return (the caller has told it to stop). Safe to call twice, and
  /// from the thread itself (then it returns at once).
  func join() {
    guard
      let handle = thread.withLock({ current -> pthread_t? in
        defer { current = nil }
        return current
      })
    else { return }
    if pthread_equal(handle, pthread_self()) != 0 {
      pthread_detach(handle)
      return
    }
    pthread_join(handle, nil)
  }

  /// pthread_setname_np is hidden behind _GNU_SOURCE in the Glibc module; the kernel's own
  /// per-thread file does the same.
  private func setName() {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }
}
