#if canImport(Glibc)
  import Glibc
#endif

/// A test's own error, with the reason as its text.
public struct TestFailure: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Runs `arguments` (looked up in `PATH`) and waits for it: its exit status (128 + signal when
/// killed) and its output, stderr included unless `mergingStandardError` is false (then stderr
/// stays the test's own). No Foundation: `Process` is not available everywhere we test.
@discardableResult
public func runCommand(_ arguments: [String], mergingStandardError: Bool = true) -> (
  status: Int32, output: String
) {
  var pair: [Int32] = [-1, -1]
  let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
  guard !arguments.isEmpty, socketpair(AF_UNIX, kind, 0, &pair) == 0 else {
    return (-1, "cannot start \(arguments)")
  }
  defer { close(pair[0]) }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
  if mergingStandardError { posix_spawn_file_actions_adddup2(&actions, pair[1], 2) }
  let argv = arguments.map { strdup($0) } + [nil]
  defer { for pointer in argv { free(pointer) } }
  var pid = pid_t()
  let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
  close(pair[1])
  guard spawned == 0 else { return (-1, "cannot start \(arguments)") }
  var output: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 4096)
  while true {
    let count = read(pair[0], &chunk, chunk.count)
    if count > 0 {
      output += chunk.prefix(count)
    } else if count < 0 && errno == EINTR {
      continue
    } else {
      break
    }
  }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  let exit = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  return (exit, String(decoding: output, as: UTF8.self))
}

/// `runCommand(["sh", "-c", command])`; stderr stays the test's own unless the command
/// redirects it (as with `popen`).
@discardableResult
public func runShell(_ command: String, mergingStandardError: Bool = false) -> (
  status: Int32, output: String
) {
  runCommand(["sh", "-c", command], mergingStandardError: mergingStandardError)
}

/// A whole file as text, or `nil` when it cannot be read.
public func readFile(_ path: String) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var data: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { break }
    data.append(contentsOf: chunk[0..<n])
  }
  return String(decoding: data, as: UTF8.self)
}

/// A fresh directory under /tmp; `remove()` deletes it with everything in it.
public struct TemporaryDirectory {
  public let path: String

  public init(prefix: String = "ccagent-test") throws {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw TestFailure("mkdtemp failed")
    }
    path = String(cString: made)
  }

  public func remove() { runCommand(["rm", "-rf", path]) }
}

/// A pipe whose read end is drained without blocking.
public final class TestPipe {
  public let read: Int32
  public let write: Int32

  public init() throws {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw TestFailure("pipe failed") }
    _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
    read = fds[0]
    write = fds[1]
  }

  deinit {
    close(read)
    close(write)
  }

  public func readAvailable() -> String {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
      guard n > 0 else { break }
      data.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
  }
}
