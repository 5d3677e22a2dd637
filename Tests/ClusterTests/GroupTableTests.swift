import Testing

@testable import Cluster

@Suite("The RG runtime table reads in place")
struct GroupTableTests {
  @Test func anOptionalRuntimeIsTheRuntimeWithNoTagByte() {
    // `GroupTable.read` reads a slot's payload through the Optional's own storage: valid only
    // while the two have the same layout.
    #expect(MemoryLayout<GroupRuntime?>.size == MemoryLayout<GroupRuntime>.size)
    #expect(MemoryLayout<GroupRuntime?>.stride == MemoryLayout<GroupRuntime>.stride)
  }

  @Test func readsWritesAndKeysAgree() {
    var table = GroupTable()
    #expect(table.read(3) { $0.failoverCount } == nil)
    #expect(table.read(-1) { $0.failoverCount } == nil)
    table[3] = GroupRuntime(configuration: RedundancyGroupConfiguration(id: 3))
    table[1] = GroupRuntime(configuration: RedundancyGroupConfiguration(id: 1))
    #expect(table.keys == [1, 3])
    table[3]?.failoverCount = 7
    table[3]?.history.append(
      TransitionRecord(time: .zero, from: .hold, to: .primary, reason: "test"))
    #expect(table.read(3) { $0.failoverCount } == 7)
    #expect(table.read(3) { $0.history.map(\.reason) } == ["test"])
    #expect(table.read(1) { $0.failoverCount } == 0)
    #expect(table.read(2) { $0.failoverCount } == nil)
    #expect(table.state(3) == .hold)
    table[3] = nil
    #expect(table.keys == [1])
    #expect(table.read(3) { $0.id } == nil)
    #expect(table.read(1) { $0.id } == 1)
  }
}
