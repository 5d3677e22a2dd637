import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A non-blocking, close-on-exec pipe that wakes a thread out of `poll`: other threads call
/// `wake()`, the owner polls `readDescriptor` and calls `drain()`. Wake-ups coalesce: a full
/// pipe already means "wake up".
final class WakePipe: Sendable {
  let readDescriptor: Int32
  private let writeDescriptor: Int32

  struct Failure: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "cannot create a wake-up pipe: \(String(cString: strerror(errno)))" }
  }

  init() throws(Failure) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw Failure(errno: errno) }
    for fd in fds {
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    (readDescriptor, writeDescriptor) = (fds[0], fds[1])
  }

  deinit {
    close(readDescriptor)
    close(writeDescriptor)
  }

  func wake() {
    var byte: UInt8 = 1
    _ = write(writeDescriptor, &byte, 1)  // EAGAIN: a wake-up is already pending
  }

  func drain() {
    var bytes = [UInt8](repeating: 0, count: 64)
    while read(readDescriptor, &bytes, bytes.count) > 0 {}
  }
}
