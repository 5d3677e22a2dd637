import Journal
import Testing

@Suite struct EventKindTests {
  @Test func messageIDsAreUnique128BitHex() {
    let ids = EventKind.allCases.map(\.messageID)
    #expect(Set(ids).count == ids.count)
    for id in ids {
      #expect(id.utf8.count == 32)
      #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
    }
  }

  @Test func kindsAreConsistent() {
    for kind in EventKind.allCases {
      #expect(Array(kind.fields.prefix(2)) == ["CLUSTER_ID", "NODE_ID"])
      #expect(Set(kind.fields).count == kind.fields.count, "\(kind)")
      #expect(kind.fields.allSatisfy(JournalFields.isValidName), "\(kind)")
      #expect(kind.fields.allSatisfy { !JournalFields.reservedNames.contains($0) }, "\(kind)")
      #expect((2...6).contains(kind.priority))
      #expect(JournalFields.syslogPriority(kind.level) == kind.priority, "\(kind)")
    }
  }
}
