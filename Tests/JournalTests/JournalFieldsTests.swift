import Logging
import Testing

@testable import Journal

@Suite struct JournalFieldNameTests {
  @Test(
    arguments: [
      ("rg-id", "RG_ID"), ("RG_ID", "RG_ID"), ("_x", "X"), ("__hidden_field", "HIDDEN_FIELD"),
      ("9a", "F_9A"), ("__9", "F_9"), ("a.b c", "A_B_C"), ("naïve", "NA_VE"),
      ("e\u{301}", "E_"), ("ключ-1", "F_1"), ("MESSAGE_ID", "MESSAGE_ID"),
    ] as [(String, String)])
  func sanitizes(key: String, expected: String) {
    #expect(JournalFields.sanitize(key) == expected)
    #expect(JournalFields.isValidName(expected))
  }

  @Test(arguments: ["", "_", "___", "-", "日本"])
  func dropsNamesWithNothingLeft(key: String) {
    #expect(JournalFields.sanitize(key) == nil)
  }

  @Test func cutsLongNamesTo64() {
    let long = String(repeating: "a", count: 100)
    #expect(JournalFields.sanitize(long) == String(repeating: "A", count: 64))
    let digit = "1" + String(repeating: "b", count: 70)
    let cut = JournalFields.sanitize(digit)
    #expect(cut?.count == 64)
    #expect(cut?.hasPrefix("F_1BBB") == true)
  }

  @Test func reservedMetadataKeysAreRenamed() {
    #expect(JournalFields.metadataFieldName("priority") == "META_PRIORITY")
    #expect(JournalFields.metadataFieldName("unit") == "META_UNIT")
    #expect(JournalFields.metadataFieldName("message") == "META_MESSAGE")
    #expect(JournalFields.metadataFieldName("MESSAGE_ID") == "MESSAGE_ID")
  }

  @Test func payloadKeepsBytesExactly() throws {
    let binary: [UInt8] = [0x00, 0xFF, 0x0A, 0x3D, 0x0D, 0x80, 0x41]
    let fields = [
      try #require(JournalField(key: "multi-line", value: "one\ntwo\n\nthree\n")),
      try #require(JournalField(key: "equals", value: "a=b==c=")),
      try #require(JournalField(key: "binary", value: binary)),
      try #require(JournalField(key: "empty", value: "")),
    ]
    let payload = JournalFields.payload(fields)
    #expect(
      payload == [
        Array("MULTI_LINE=one\ntwo\n\nthree\n".utf8), Array("EQUALS=a=b==c=".utf8),
        Array("BINARY=".utf8) + binary, Array("EMPTY=".utf8),
      ])
  }

  @Test func handlerFieldsComeFirstAndMetadataIsSanitized() {
    let fields = JournalFields.recordFields(
      level: .warning, message: "hello", identifier: "ccagentd", file: "Agent/X.swift",
      line: 42, function: "f()",
      metadata: ["rg-id": "1", "unit": "evil.service", "priority": "0", "_": "dropped"])
    let pairs = fields.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }
    #expect(
      pairs.map(\.0) == [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
        "META_PRIORITY", "META_UNIT", "RG_ID",
      ])
    #expect(pairs[1].1 == "4")
    #expect(pairs[4].1 == "42")
    #expect(!pairs.contains { $0.0 == "UNIT" })
  }

  @Test func prioritiesFollowSyslog() {
    let expected: [Logger.Level: Int] = [
      .trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2,
    ]
    for (level, priority) in expected {
      #expect(JournalFields.syslogPriority(level) == priority)
    }
  }
}
