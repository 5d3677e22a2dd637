import ClusterTestSupport
import Logging
import Testing

@testable import Agent

@Suite struct StderrLogHandlerTests {
  @Test func handlerWritesOneLinePerRecordWithMergedMetadata() throws {
    let pipe = try TestPipe()
    var handler = StderrLogHandler(
      label: "test", fileDescriptor: pipe.write,
      metadataProvider: Logger.MetadataProvider { ["from-provider": "p", "shared": "provider"] })
    handler.metadata = ["from-handler": "h", "shared": "handler"]
    let configured = handler
    var logger = Logger(label: "test") { _ in configured }
    logger.logLevel = .debug
    logger.warning("one\ntwo", metadata: ["shared": "call", "rg-id": "7"])
    logger.debug("second")
    let text = pipe.readAvailable()
    let lines = text.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[0].contains(" warning ccagentd: one\\ntwo "))
    #expect(lines[0].hasSuffix("FROM_HANDLER=h FROM_PROVIDER=p RG_ID=7 SHARED=call"))
    #expect(lines[1].contains(" debug ccagentd: second FROM_HANDLER=h "))
  }

}
