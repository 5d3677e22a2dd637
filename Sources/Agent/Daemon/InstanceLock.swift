import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// One agent per configuration and per node: an exclusive `flock` on a lock file beside the
/// control socket, and one in the state directory for the node (a second agent for the same
/// node with another control socket is refused too). The kernel drops the lock when the
/// process dies, so a crash never leaves a stale lock.
final class InstanceLock {
  let fd: Int32
  let path: String

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// `holder`: who the lock stands for, for the refusal ("with this configuration").
  init(path: String, holder: String = "with this configuration") throws(Failure) {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw Failure(description: "\(path): \(String(cString: strerror(errno)))")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let pid = (try? FileReader.readBytes(fd: fd)).map {
        String(decoding: $0, as: UTF8.self).filter(\.isNumber)
      }
      close(fd)
      let by = pid.map { $0.isEmpty ? "" : " by pid \($0)" } ?? ""
      throw Failure(
        description: "another ccagentd already runs \(holder) (\(path) is locked\(by))")
    }
    ftruncate(fd, 0)
    let pid = "\(getpid())\n"
    _ = pid.withCString { write(fd, $0, strlen($0)) }
    self.fd = fd
    self.path = path
  }

  deinit {
    close(fd)
  }
}

/// `mkdir -p` for runtime directories such as /run/ccagent.
func makeDirectories(_ path: String, mode: mode_t = 0o755) {
  var current = ""
  for part in path.split(separator: "/") {
    current += "/" + part
    mkdir(current, mode)
  }
}

func parentDirectory(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}
