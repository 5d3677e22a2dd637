/// A message about one place in a configuration or scenario file, printed as
/// `file:line:column: message` (DESIGN §5).
public struct ConfigurationDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Severity: String, Sendable, Equatable {
    case error
    case warning
    /// A statement that is valid Junos but outside the cluster's concern, ignored.
    case notice
  }

  public var file: String
  public var line: Int
  public var column: Int
  public var severity: Severity
  public var message: String

  public init(file: String, line: Int, column: Int, severity: Severity, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.severity = severity
    self.message = message
  }

  /// Errors print bare (the compiler convention); warnings and notices say what they are.
  public var description: String {
    let prefix = severity == .error ? "" : "\(severity.rawValue): "
    return "\(file):\(line):\(column): \(prefix)\(message)"
  }
}

/// The result of parsing: a configuration when there are no errors, and every diagnostic.
public struct ConfigurationParseResult: Sendable {
  public var configuration: ClusterConfiguration?
  public var diagnostics: [ConfigurationDiagnostic]

  public var errors: [ConfigurationDiagnostic] { diagnostics.filter { $0.severity == .error } }
  public var warnings: [ConfigurationDiagnostic] {
    diagnostics.filter { $0.severity == .warning }
  }
  public var notices: [ConfigurationDiagnostic] { diagnostics.filter { $0.severity == .notice } }
}
