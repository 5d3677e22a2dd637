import Cluster
import ShellSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The boot epoch of this start, persisted in the state directory (`nodeN.epoch`) before the
/// first heartbeat, so that epochs rise across restarts even when the clock stepped back
/// (`BootEpoch`): the peer refuses every older epoch.
enum EpochStore {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func path(directory: String, node: Int) -> String {
    "\(directory)/node\(node).epoch"
  }

  static func next(directory: String, node: Int) throws(Failure) -> UInt64 {
    let path = path(directory: directory, node: node)
    let last = (try? FileReader.readText(path)).flatMap(BootEpoch.parse)
    let epoch = BootEpoch.next(
      wallClockMilliseconds: WallClock.nowMilliseconds(), random: .random(in: 0...0xFFFF),
      last: last)
    try persist(BootEpoch.text(epoch), to: path)
    return epoch
  }

  /// Temporary file, fsync, rename, fsync of the directory: after a crash the file holds the
  /// old epoch or the new one, never a torn one.
  private static func persist(_ text: String, to path: String) throws(Failure) {
    func fail(_ what: String) -> Failure {
      Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw fail(temporary) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(fd) == 0 else {
      let failure = fail(temporary)
      close(fd)
      unlink(temporary)
      throw failure
    }
    close(fd)
    guard rename(temporary, path) == 0 else {
      let failure = fail(path)
      unlink(temporary)
      throw failure
    }
    let directory = open(parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
  }
}
