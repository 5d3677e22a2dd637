import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

// Serialized: the tests use getpwnam/getgrent, whose results live in shared static storage.
@Suite(.serialized) struct PeerCredentialsTests {
  @Test func socketPairShowsOurselves() throws {
    var pair: [Int32] = [-1, -1]
    #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
    defer { for fd in pair { close(fd) } }
    let expected = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    #expect(try PeerCredentials.of(socket: pair[0]) == expected)
    #expect(try PeerCredentials.of(socket: pair[1]) == expected)
  }

  @Test func notASocketThrows() throws {
    #expect(throws: PeerCredentialsError(call: "getsockopt(SO_PEERCRED)", errno: EBADF)) {
      try PeerCredentials.of(socket: -1)
    }
    var fds: [Int32] = [-1, -1]
    #expect(pipe(&fds) == 0)
    defer { for fd in fds { close(fd) } }
    #expect(throws: PeerCredentialsError(call: "getsockopt(SO_PEERCRED)", errno: ENOTSOCK)) {
      try PeerCredentials.of(socket: fds[0])
    }
  }

  @Test func groupMembership() {
    #expect(PeerCredentials.isMember(uid: 0, gid: 0, ofGroup: "root"))
    // root's primary group counts even when the peer runs with another gid.
    #expect(PeerCredentials.isMember(uid: 0, gid: 4242, ofGroup: "root"))
    #expect(!PeerCredentials.isMember(uid: 0, gid: 0, ofGroup: "no-such-group-ccagent"))
    // A uid without a passwd entry is a member only through its gid.
    #expect(PeerCredentials.isMember(uid: 3_999_999, gid: 0, ofGroup: "root"))
    #expect(!PeerCredentials.isMember(uid: 3_999_999, gid: 4242, ofGroup: "root"))
    if let daemon = getpwnam("daemon")?.pointee, daemon.pw_gid != 0 {
      #expect(!PeerCredentials.isMember(uid: daemon.pw_uid, gid: daemon.pw_gid, ofGroup: "root"))
    }
  }

  /// The first supplementary membership in the group database, when this host has one.
  @Test func supplementaryGroup() throws {
    var found: (group: String, uid: UInt32, gid: UInt32)?
    setgrent()
    while found == nil, let entry = getgrent()?.pointee {
      guard let members = entry.gr_mem, let first = members[0], let name = entry.gr_name,
        let user = getpwnam(first)?.pointee, user.pw_gid != entry.gr_gid
      else { continue }
      found = (String(cString: name), user.pw_uid, user.pw_gid)
    }
    endgrent()
    guard let found else { return }
    #expect(PeerCredentials.isMember(uid: found.uid, gid: found.gid, ofGroup: found.group))
  }
}
