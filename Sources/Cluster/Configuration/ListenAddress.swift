/// An IP address and TCP port to listen on or connect to, written `192.0.2.1:9737` or
/// `[2001:db8::1]:9737` (brackets around IPv6, as in URLs). Addresses only, no host names:
/// the agent resolves nothing at start-up.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
  /// The address without brackets.
  public var host: String
  public var port: Int
  public var isIPv6: Bool { host.contains(":") }

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

  /// What is wrong with a text, with the 0-based character offset it starts at.
  public struct Problem: Error, Sendable, Equatable {
    public var offset: Int
    public var message: String
  }

  /// `ADDRESS:PORT` or `[IPV6]:PORT`, port 1–65535.
  public static func parse(_ text: String) -> Result<ListenAddress, Problem> {
    let host: Substring
    let portText: Substring
    let portOffset: Int
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]") else {
        return .failure(Problem(offset: 0, message: "'\(text)' has no closing ']'"))
      }
      host = text[text.index(after: text.startIndex)..<close]
      let rest = text[text.index(after: close)...]
      guard rest.first == ":" else {
        return .failure(
          Problem(
            offset: text.distance(from: text.startIndex, to: close) + 1,
            message: "expected ':PORT' after '[\(host)]'"))
      }
      portText = rest.dropFirst()
      portOffset = text.distance(from: text.startIndex, to: close) + 2
      guard IPAddressSyntax.isIPv6(String(host)) else {
        return .failure(Problem(offset: 1, message: "'\(host)' is not an IPv6 address"))
      }
    } else {
      guard let colon = text.lastIndex(of: ":") else {
        return .failure(
          Problem(offset: 0, message: "'\(text)' needs a port: ADDRESS:PORT or [IPV6]:PORT"))
      }
      host = text[..<colon]
      portText = text[text.index(after: colon)...]
      portOffset = text.distance(from: text.startIndex, to: colon) + 1
      guard !host.contains(":") else {
        return .failure(
          Problem(offset: 0, message: "write an IPv6 address in brackets: '[\(host)]:\(portText)'"))
      }
      guard IPAddressSyntax.isIPv4(String(host)) else {
        return .failure(Problem(offset: 0, message: "'\(host)' is not an IP address"))
      }
    }
    guard let port = Int(portText), portText.allSatisfy(\.isASCII), (1...65535).contains(port)
    else {
      return .failure(
        Problem(offset: portOffset, message: "port '\(portText)' is not a number in 1..65535"))
    }
    return .success(ListenAddress(host: String(host), port: port))
  }
}
