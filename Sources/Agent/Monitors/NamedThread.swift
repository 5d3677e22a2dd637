#if canImport(Glibc)
  import Glibc
#endif

/// A plain OS thread: for the blocking reads that must never occupy Swift's cooperative pool.
/// Named (at most 15 bytes) so `top -H` and `/proc/PID/task/*/comm` show what it is.
final class NamedThread: @unchecked Sendable {
  private let name: String
  private let body: @Sendable () -> Void

  init(name: String, body: @escaping @Sendable () -> Void) {
    self.name = name
    self.body = body
  }

  func start() {
    let box = Unmanaged.passRetained(self)
    var thread = pthread_t()
    pthread_create(
      &thread, nil,
      { raw in
        let me = Unmanaged<NamedThread>.fromOpaque(raw!).takeRetainedValue()
        me.setName()
        me.body()
        return nil
      }, box.toOpaque())
    pthread_detach(thread)
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
