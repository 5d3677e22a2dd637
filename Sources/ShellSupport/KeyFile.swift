import Cluster

#if canImport(Glibc)
  import Glibc
#endif

/// An `authentication-key-file`, read the way ssh reads a private key: the file must be root's
/// and private (`KeyFilePolicy`), checked on the open descriptor so the file checked is the
/// file read, and the key at least 32 bytes long. `ccctl check-config` asks the same function,
/// so a refusal there is a refusal to start here.
public enum KeyFile {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  public static func load(_ path: String) throws(Failure) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw Failure(description: "\(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw Failure(description: "\(path): \(String(cString: strerror(errno)))")
    }
    if let problem = KeyFilePolicy.problem(
      path: path, owner: UInt32(info.st_uid), mode: UInt32(info.st_mode))
    {
      throw Failure(description: problem)
    }
    do {
      return try HeartbeatCodec.loadKey(fileContents: try FileReader.readBytes(fd: fd))
    } catch {
      throw Failure(description: "\(path): \(error)")
    }
  }
}
