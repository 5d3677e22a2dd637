#if canImport(Glibc)
  import Glibc
#endif

/// Whole files read with `read(2)` (EINTR retried, at most 16 MiB): configurations, keys,
/// epochs.
public enum FileReader {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  public static func readBytes(_ path: String) throws(Failure) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
    defer { close(fd) }
    return try readBytes(fd: fd)
  }

  public static func readBytes(fd: Int32) throws(Failure) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw Failure(description: String(cString: strerror(errno)))
      }
      if count == 0 { break }
      bytes.append(contentsOf: buffer[0..<count])
      if bytes.count > 16 << 20 { throw Failure(description: "file is larger than 16 MiB") }
    }
    return bytes
  }

  public static func readText(_ path: String) throws(Failure) -> String {
    String(decoding: try readBytes(path), as: UTF8.self)
  }
}
