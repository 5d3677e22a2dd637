import ArgumentParser
import Cluster
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// `ccwitnessd`: the witness of one or more two-node clusters (DESIGN §12). A node that hears
/// its peer on no path may take over only while it holds the witness's grant. The decisions
/// are `WitnessArbiter`'s; this program reads requests, answers them and logs the grants.
@main
struct CCWitnessD: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ccwitnessd",
    abstract: "Arbitrate between the two nodes of ccagent clusters that lost each other.")

  @Option(help: "The address and UDP port to listen on: 198.51.100.9:7402 or [2001:db8::9]:7402.")
  var listen: String

  @Option(
    help: ArgumentHelp(
      "A cluster's authentication-key-file; repeat for each key. Clusters are told apart by "
        + "cluster id and key.", valueName: "file"))
  var key: [String] = []

  func validate() throws {
    guard !key.isEmpty else { throw ValidationError("at least one --key FILE is required") }
    guard ListenAddress(listen) != nil else {
      throw ValidationError("--listen must be ADDRESS:PORT, e.g. 0.0.0.0:7402 or [::]:7402")
    }
  }

  func run() throws {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var logger = Logger(label: "ccwitnessd")
    logger.logLevel = .info
    let keys = try key.map { path in
      do {
        return try HeartbeatCodec.loadKey(fileContents: try KeyFile.read(path))
      } catch {
        throw ValidationError("\(path): \(error)")
      }
    }
    guard let address = ListenAddress(listen) else { throw ExitCode(2) }
    let socket = try WitnessSocket(address: address.host, port: address.port)
    logger.info(
      "ccwitnessd listening", metadata: ["LISTEN": "\(listen)", "KEYS": "\(keys.count)"])
    var server = WitnessServer(codecs: keys.map { WitnessCodec(key: $0) }, logger: logger)
    server.run(socket)
  }
}

/// `ADDRESS:PORT` with IPv6 addresses in brackets.
struct ListenAddress {
  var host: String
  var port: Int

  init?(_ text: String) {
    let host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]") else { return nil }
      host = text[text.index(after: text.startIndex)..<close]
      let rest = text[text.index(after: close)...]
      guard rest.hasPrefix(":") else { return nil }
      portText = rest.dropFirst()
    } else {
      guard let colon = text.lastIndex(of: ":") else { return nil }
      host = text[..<colon]
      portText = text[text.index(after: colon)...]
    }
    guard let port = Int(portText), (1...65535).contains(port), !host.isEmpty,
      InetAddressText.parse(String(host)).octets.count > 0
    else { return nil }
    self.host = String(host)
    self.port = port
  }
}

enum KeyFile {
  static func read(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else {
      throw ValidationError("cannot open: \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = fread(&chunk, 1, chunk.count, file)
      if n <= 0 { break }
      bytes += chunk[..<n]
      guard bytes.count <= 65536 else { throw ValidationError("key file is too large") }
    }
    return bytes
  }
}
