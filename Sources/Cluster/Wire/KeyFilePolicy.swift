/// What an authentication key file must be (like ssh's private keys): a regular file owned by
/// root that nobody else may read or write. Pure: the shells (`ccagentd`, `ccctl
/// check-config`) `stat` the file and ask.
public enum KeyFilePolicy {
  /// Why `path` may not hold a key, or nil. `mode` is `st_mode`, `owner` `st_uid`.
  public static func problem(path: String, owner: UInt32, mode: UInt32) -> String? {
    guard mode & 0o170000 == 0o100000 else {
      return "\(path) is not a regular file; an authentication key must be one"
    }
    guard owner == 0 else {
      return "\(path) is owned by uid \(owner); an authentication key must be owned by root"
    }
    guard mode & 0o077 == 0 else {
      return "\(path) is accessible by group or others (mode "
        + "\(String(mode & 0o7777, radix: 8))); run chmod 0400 \(path)"
    }
    return nil
  }
}
