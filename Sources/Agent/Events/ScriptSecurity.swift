#if canImport(Glibc)
  import Glibc
#endif

/// keepalived's `enable_script_security`, always on: a script the agent runs as root must be
/// owned by root and writable by nobody else, and so must every directory above it (a
/// directory others may write lets them swap the file), except sticky ones such as /tmp,
/// where others cannot replace an entry they do not own.
enum ScriptSecurity {
  struct Refusal: Error, CustomStringConvertible {
    let description: String
  }

  static func check(script path: String) throws(Refusal) {
    guard path.hasPrefix("/") else {
      throw Refusal(description: "notify script \(path): the path must be absolute")
    }
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw Refusal(
        description: "notify script \(path): \(String(cString: strerror(errno)))")
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw Refusal(description: "notify script \(path): not a regular file")
    }
    guard info.st_mode & 0o111 != 0 else {
      throw Refusal(description: "notify script \(path): not executable")
    }
    try requireRootOnly(path, info, what: "notify script")
    var directory = path
    while let slash = directory.lastIndex(of: "/") {
      directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
      var parent = stat()
      guard stat(directory, &parent) == 0 else {
        throw Refusal(
          description: "notify script \(path): \(directory): \(String(cString: strerror(errno)))")
      }
      if parent.st_mode & S_ISVTX == 0 {
        try requireRootOnly(directory, parent, what: "notify script \(path): directory")
      }
      if directory == "/" { break }
    }
  }

  private static func requireRootOnly(_ path: String, _ info: stat, what: String) throws(Refusal) {
    guard info.st_uid == 0 else {
      throw Refusal(
        description: "\(what) \(path) is owned by uid \(info.st_uid); it must be owned by root")
    }
    guard info.st_mode & 0o022 == 0 else {
      throw Refusal(
        description:
          "\(what) \(path) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); run chmod go-w"
      )
    }
  }
}
