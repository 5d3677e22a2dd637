import ClusterTestSupport
import Journal
import Testing

#if canImport(Glibc)
  import Glibc
#endif

private struct CatalogEntry {
  var id: String
  var headers: [String: String] = [:]
  var body: [String] = []
}

private func parseCatalog(_ text: String) -> [CatalogEntry] {
  var entries: [CatalogEntry] = []
  var inBody = false
  for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
    let line = String(rawLine)
    if line.hasPrefix("-- ") {
      entries.append(CatalogEntry(id: String(line.dropFirst(3))))
      inBody = false
      continue
    }
    guard !entries.isEmpty else { continue }  // Comments before the first entry.
    if inBody {
      entries[entries.count - 1].body.append(line)
    } else if line.isEmpty {
      inBody = true
    } else if let colon = line.firstIndex(of: ":") {
      let value = line[line.index(after: colon)...].drop { $0 == " " }
      entries[entries.count - 1].headers[String(line[..<colon])] = String(value)
    }
  }
  return entries
}

/// `@FIELD@` references in a catalog text.
private func substitutions(_ text: String) -> Set<String> {
  let parts = text.split(separator: "@", omittingEmptySubsequences: false)
  var names: Set<String> = []
  var i = 1
  while i < parts.count - 1 {
    if JournalFields.isValidName(String(parts[i])) {
      names.insert(String(parts[i]))
      i += 2
    } else {
      i += 1
    }
  }
  return names
}

private let catalogPath: String = {
  // Tests/JournalTests/CatalogFileTests.swift → packaging/ccagent.catalog
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return (parts + ["packaging", "ccagent.catalog"]).joined(separator: "/")
}()

@Suite struct CatalogFileTests {
  @Test func catalogMatchesTheCode() throws {
    let text = try #require(readFile(catalogPath), "cannot read \(catalogPath)")
    let entries = parseCatalog(text)
    let byID = Dictionary(entries.map { ($0.id, $0) }) { first, _ in first }
    #expect(entries.count == byID.count, "duplicate ids")
    #expect(Set(byID.keys) == Set(EventKind.allCases.map(\.messageID)))
    for kind in EventKind.allCases {
      let entry = try #require(byID[kind.messageID], "\(kind)")
      let subject = try #require(entry.headers["Subject"], "\(kind)")
      #expect(!subject.isEmpty)
      #expect(entry.headers["Defined-By"] == "ccagent", "\(kind)")
      #expect(entry.headers["Documentation"] == "man:ccagentd(8)", "\(kind)")
      let body = entry.body.joined(separator: "\n")
      #expect(body.contains { !$0.isWhitespace }, "\(kind) has an empty body")
      let used = substitutions(subject).union(substitutions(body))
      #expect(used.isSubset(of: Set(kind.fields)), "\(kind): \(used.subtracting(kind.fields))")
    }
  }

  @Test(.enabled(if: access("/usr/bin/journalctl", X_OK) == 0))
  func journalctlAcceptsTheCatalog() throws {
    let root = try TemporaryDirectory(prefix: "ccagent-journal-test")
    defer { root.remove() }
    let dir = root.path + "/usr/lib/systemd/catalog"
    #expect(runShell("mkdir -p '\(dir)' && cp '\(catalogPath)' '\(dir)/'").status == 0)
    let update = runShell("journalctl --root='\(root.path)' --update-catalog 2>&1")
    #expect(update.status == 0, "\(update.output)")
    let list = runShell("journalctl --root='\(root.path)' --list-catalog 2>&1")
    #expect(list.status == 0)
    let listed = Set(list.output.split(separator: "\n").map { String($0.prefix(32)) })
    #expect(Set(EventKind.allCases.map(\.messageID)).isSubset(of: listed))
    let dump = runShell(
      "journalctl --root='\(root.path)' --dump-catalog \(EventKind.rgFailover.messageID)")
    #expect(dump.output.contains("Subject: Failover: node @NODE_ID@ is now primary"))
  }
}
