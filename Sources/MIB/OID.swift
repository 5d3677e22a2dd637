/// An SNMP object identifier. Ordered as SNMP walks it: component by component, numerically,
/// with a prefix before everything it prefixes (`1.3` < `1.3.0` < `1.4`).
public struct OID: Sendable, Hashable, Comparable, CustomStringConvertible,
  ExpressibleByArrayLiteral
{
  public var components: [UInt32]

  public init(_ components: [UInt32]) { self.components = components }

  public init(arrayLiteral elements: UInt32...) { self.components = elements }

  /// Parses `1.3.6.1` or `.1.3.6.1` (net-snmp's absolute form). Nil for anything else,
  /// including empty components and values beyond 2^32-1.
  public init?(_ dotted: String) {
    var text = Substring(dotted)
    if text.first == "." { text = text.dropFirst() }
    guard !text.isEmpty else { return nil }
    var parsed: [UInt32] = []
    for part in text.split(separator: ".", omittingEmptySubsequences: false) {
      guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
        let value = UInt32(part)
      else { return nil }
      parsed.append(value)
    }
    self.components = parsed
  }

  public var count: Int { components.count }

  /// `1.3.6.1.4.1.8072`, without a leading dot.
  public var description: String {
    components.lazy.map(String.init).joined(separator: ".")
  }

  /// True when `self` starts with every component of `prefix` (an OID is its own prefix).
  public func hasPrefix(_ prefix: OID) -> Bool {
    prefix.components.count <= components.count
      && components.starts(with: prefix.components)
  }

  public func isPrefix(of other: OID) -> Bool { other.hasPrefix(self) }

  public func appending(_ suffix: [UInt32]) -> OID { OID(components + suffix) }

  public func appending(_ suffix: UInt32...) -> OID { appending(suffix) }

  public static func + (lhs: OID, rhs: [UInt32]) -> OID { lhs.appending(rhs) }

  public static func < (lhs: OID, rhs: OID) -> Bool {
    let a = lhs.components
    let b = rhs.components
    let shared = min(a.count, b.count)
    var i = 0
    while i < shared {
      if a[i] != b[i] { return a[i] < b[i] }
      i += 1
    }
    return a.count < b.count
  }
}
