import ClusterTestSupport
import Journal
import Logging
import Testing

@testable import Agent

@Suite struct JournalLogHandlerTests {
  @Test func iovecsCarryThePayloadExactly() {
    let binary: [UInt8] = [0x00, 0xFF, 0x0A, 0x3D, 0x0D, 0x80, 0x41]
    let payload = [
      Array("MULTI_LINE=one\ntwo\n\nthree\n".utf8), Array("EQUALS=a=b==c=".utf8),
      Array("BINARY=".utf8) + binary, Array("EMPTY=".utf8), [],
    ]
    // What sd_journal_sendv would see through the iovecs.
    let seen = JournalFields.withIOVecs(payload) { vecs in
      vecs.map { v in
        Array(UnsafeRawBufferPointer(start: v.iov_base, count: v.iov_len))
      }
    }
    #expect(seen == payload)
  }

  @Test func journalHandlerFallsBackToStderrWithoutSocket() throws {
    let pipe = try TestPipe()
    let probe = JournalSocketProbe(path: "/nonexistent/ccagent-test/socket")
    #expect(!probe.isAvailable())
    let handler = JournalLogHandler(label: "t", probe: probe, fallbackFileDescriptor: pipe.write)
    let logger = Logger(label: "t") { _ in handler }
    logger.error("no journal here", error: TestFailure("boom x"), metadata: ["rg-id": "3"])
    let text = pipe.readAvailable()
    #expect(text.hasSuffix(" error ccagentd: no journal here RG_ID=3 SWIFT_ERROR=\"boom x\"\n"))
  }

  @Test func automaticTargetResolves() {
    #expect(LogTarget.stderr.resolved() == .stderr)
    #expect(LogTarget.journal.resolved() == .journal)
    #expect(LogTarget.automatic.resolved() != .automatic)
    #expect(makeLogHandler(label: "x", target: .stderr) is StderrLogHandler)
    #expect(makeLogHandler(label: "x", target: .journal) is JournalLogHandler)
  }
}
