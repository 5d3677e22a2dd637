#if canImport(Glibc)
  import Glibc
#endif

struct PeerCredentialsError: Error, Equatable {
  var call: String
  var errno: Int32
}

/// Who is at the other end of a connected Unix socket, as the kernel recorded it at connect().
struct PeerCredentials: Sendable, Equatable {
  var pid: Int32
  var uid: UInt32
  var gid: UInt32

  static func of(socket fd: Int32) throws -> PeerCredentials {
    // struct ucred is pid_t, uid_t, gid_t; Glibc hides it behind _GNU_SOURCE.
    var raw = (Int32(0), UInt32(0), UInt32(0))
    var length = socklen_t(MemoryLayout.size(ofValue: raw))
    guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &raw, &length) == 0 else {
      throw PeerCredentialsError(call: "getsockopt(SO_PEERCRED)", errno: errno)
    }
    guard length == socklen_t(MemoryLayout.size(ofValue: raw)) else {
      throw PeerCredentialsError(call: "getsockopt(SO_PEERCRED)", errno: EINVAL)
    }
    return PeerCredentials(pid: raw.0, uid: raw.1, gid: raw.2)
  }

  /// Whether `uid` (whose effective gid is `gid`) belongs to the group `name`: as its primary
  /// group, the peer's gid, or a supplementary group from the group database. Unknown users and
  /// groups are not members. Root gets no special treatment here; the caller decides.
  static func isMember(uid: UInt32, gid: UInt32, ofGroup name: String) -> Bool {
    guard let groupID = groupID(named: name) else { return false }
    if gid == groupID { return true }
    guard let user = user(uid: uid) else { return false }
    if user.primaryGroup == groupID { return true }
    return groups(of: user.name, primaryGroup: user.primaryGroup).contains(groupID)
  }

  // MARK: - Account database

  /// Calls a *_r lookup with a growing buffer while it answers ERANGE.
  private static func withBuffer<T>(_ lookup: (UnsafeMutablePointer<CChar>, Int) -> (Int32, T?))
    -> T?
  {
    var size = 1024
    while size <= 1 << 20 {
      var buffer = [CChar](repeating: 0, count: size)
      let (status, result) = buffer.withUnsafeMutableBufferPointer { pointer -> (Int32, T?) in
        guard let base = pointer.baseAddress else { return (ENOMEM, nil) }
        return lookup(base, pointer.count)
      }
      if status == ERANGE {
        size *= 2
        continue
      }
      return status == 0 ? result : nil
    }
    return nil
  }

  private static func groupID(named name: String) -> UInt32? {
    withBuffer { buffer, size in
      var entry = group()
      var result: UnsafeMutablePointer<group>?
      let status = getgrnam_r(name, &entry, buffer, size, &result)
      return (status, result == nil ? nil : entry.gr_gid)
    }
  }

  private static func user(uid: UInt32) -> (name: String, primaryGroup: UInt32)? {
    withBuffer { buffer, size in
      var entry = passwd()
      var result: UnsafeMutablePointer<passwd>?
      let status = getpwuid_r(uid, &entry, buffer, size, &result)
      guard status == 0, result != nil, let name = entry.pw_name else { return (status, nil) }
      return (0, (String(cString: name), entry.pw_gid))
    }
  }

  private static func groups(of user: String, primaryGroup: UInt32) -> [UInt32] {
    var count: Int32 = 32
    while count <= 65_536 {
      var groups = [gid_t](repeating: 0, count: Int(count))
      var found = count
      // -1 with `found` raised to the real number when the array is too small.
      if getgrouplist(user, primaryGroup, &groups, &found) >= 0 {
        return Array(groups.prefix(Int(max(0, min(found, count)))))
      }
      guard found > count else { return [] }
      count = found
    }
    return []
  }
}
