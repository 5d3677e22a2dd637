import ClusterTestSupport
import Journal
import Logging
import Testing

@Suite struct EventRecordTests {
  @Test func logEventPassesLevelMessageIDAndCallSite() throws {
    let store = CapturedRecords()
    let logger = Logger(label: "capture") { _ in CapturingHandler(store: store) }
    let record = try #require(
      EventCatalog.record(
        for: .controlLinkDown(missedHeartbeats: 3, lastHeartbeatAgeMilliseconds: 3012),
        context: sampleEventContext))
    let line = #line + 1
    logger.logEvent(record)
    let event = try #require(store.events.first)
    #expect(event.level == .critical)
    #expect(event.metadata?["MESSAGE_ID"] == .string(EventKind.controlLinkDown.messageID))
    #expect(event.metadata?["MISSED_HEARTBEATS"] == "3")
    #expect(event.file == #fileID && event.line == UInt(line))
    #expect(event.function == #function)
    EventCatalog.log(record, to: logger)
    #expect(store.events.count == 2 && store.events[1].level == .critical)
  }
}
