import ArgumentParser
import Cluster

#if canImport(Glibc)
  import Glibc
#endif

/// `ccctl generate-key FILE`: 32 random bytes from /dev/urandom, root:root 0400, written
/// atomically (a temporary file beside it, fsync, then link or rename), so a crash never leaves
/// a short key that both nodes would refuse.
struct GenerateKey: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate-key",
    abstract: "Write a new heartbeat authentication key (32 random bytes, root:root 0400).")

  @Argument(help: "The key file to create, e.g. /etc/ccagent/cluster.key.")
  var file: String

  @Flag(help: "Replace the file if it exists.")
  var force = false

  func run() throws {
    let key = try Self.randomKey()
    let temporary = "\(file).tmp.\(getpid())"
    func fail(_ what: String) -> Error {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      printError("ccctl: \(what): \(reason)")
      return ExitCode(1)
    }
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o400)
    guard fd >= 0 else { throw fail(temporary) }
    // The key must be root's (ccagentd refuses it otherwise): say so now, not at the start.
    guard fchown(fd, 0, 0) == 0, fchmod(fd, 0o400) == 0 else {
      close(fd)
      throw fail("\(temporary): cannot make it root:root 0400 (run as root)")
    }
    let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == key.count, fsync(fd) == 0 else {
      close(fd)
      throw fail(temporary)
    }
    close(fd)
    if force {
      guard rename(temporary, file) == 0 else { throw fail(file) }
    } else {
      // link(2) fails if the file exists: no window in which an existing key is replaced.
      guard link(temporary, file) == 0 else {
        if errno == EEXIST {
          unlink(temporary)
          printError(
            "ccctl: \(file) exists; use --force to replace it (both nodes need the same key)")
          throw ExitCode(1)
        }
        throw fail(file)
      }
      unlink(temporary)
    }
    let directory = open(Self.parent(of: file), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
    print("\(file): new 256-bit key; copy it to the other node (same path, root:root 0400)")
  }

  /// 32 bytes whose last one is not ASCII whitespace: key files lose trailing whitespace
  /// (so that `echo secret > file` works) and must keep all 32 bytes.
  static func randomKey() throws -> [UInt8] {
    guard let random = fopen("/dev/urandom", "r") else {
      printError("ccctl: /dev/urandom: \(String(cString: strerror(errno)))")
      throw ExitCode(1)
    }
    defer { fclose(random) }
    var key = [UInt8](repeating: 0, count: HeartbeatCodec.minimumKeySize)
    guard fread(&key, 1, key.count, random) == key.count else {
      printError("ccctl: /dev/urandom: short read")
      throw ExitCode(1)
    }
    var last = key[key.count - 1]
    while HeartbeatCodec.isTrimmedFromKeys(last) {
      guard fread(&last, 1, 1, random) == 1 else {
        printError("ccctl: /dev/urandom: short read")
        throw ExitCode(1)
      }
    }
    key[key.count - 1] = last
    return key
  }

  static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
