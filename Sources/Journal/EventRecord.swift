import Logging

/// What a record needs besides the event itself.
public struct EventContext: Sendable, Equatable {
  public var clusterID: Int
  public var nodeID: Int
  public var heartbeatIntervalMilliseconds: Int
  /// The local configuration's digest (`ConfigurationDigest.digest(of:)`).
  public var configDigest: UInt64
  /// `witness address:port` when one is configured (DESIGN §12), for the witness records.
  public var witnessAddress: String? = nil

  public init(clusterID: Int, nodeID: Int, heartbeatIntervalMilliseconds: Int, configDigest: UInt64)
  {
    self.clusterID = clusterID
    self.nodeID = nodeID
    self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
    self.configDigest = configDigest
  }

  /// Exactly two nodes, 0 and 1 (DESIGN §3.1).
  public var peerNodeID: Int { 1 - nodeID }
}

/// One journal record: its kind, a readable one-line `MESSAGE`, and the fields in order.
public struct EventRecord: Sendable {
  public var kind: EventKind
  public var message: String
  public var fields: [(String, String)]

  public init(kind: EventKind, message: String, fields: [(String, String)]) {
    self.kind = kind
    self.message = message
    self.fields = fields
  }

  public subscript(field name: String) -> String? {
    fields.first { $0.0 == name }?.1
  }

  /// `MESSAGE_ID` plus the fields, for a swift-log call.
  public var metadata: Logger.Metadata {
    var metadata: Logger.Metadata = ["MESSAGE_ID": .string(kind.messageID)]
    for (name, value) in fields { metadata[name] = .string(value) }
    return metadata
  }
}

extension Logger {
  /// Logs an event record at its kind's level with `MESSAGE_ID` and its fields as metadata, so
  /// the journal handler writes them as fields.
  public func logEvent(
    _ record: EventRecord, file: String = #fileID, function: String = #function,
    line: UInt = #line
  ) {
    log(
      level: record.kind.level, "\(record.message)", metadata: record.metadata, file: file,
      function: function, line: line)
  }
}
