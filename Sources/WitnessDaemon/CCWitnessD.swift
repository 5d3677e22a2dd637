import ArgumentParser
import Cluster
import Logging
import ShellSupport

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
      "A cluster's authentication-key-file; repeat for each cluster. Clusters are told apart "
        + "by cluster id and key. While a cluster is rekeyed give both of its keys, comma "
        + "separated (new.key,old.key): its nodes count as one cluster whichever key they send "
        + "with.", valueName: "file[,file]"))
  var key: [String] = []

  /// Each --key value as the cluster's key files.
  var clusterKeyFiles: [[String]] {
    key.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
  }

  func validate() throws {
    guard !key.isEmpty else { throw ValidationError("at least one --key FILE is required") }
    for (value, files) in zip(key, clusterKeyFiles) where files.contains(where: \.isEmpty) {
      throw ValidationError("--key \(value): an empty file name (e.g. --key new.key,old.key)")
    }
    if case .failure(let problem) = ListenAddress.parse(listen) {
      throw ValidationError(
        "--listen \(listen): \(problem.message) (e.g. 0.0.0.0:7402 or [::]:7402)")
    }
  }

  func run() throws {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var logger = Logger(label: "ccwitnessd")
    logger.logLevel = .info
    let clusters = try clusterKeyFiles.map { files in
      try files.map { path in
        do {
          // Not `KeyFile.load`: under the unit the key is a systemd credential, owned by the
          // service's dynamic user rather than root.
          return try HeartbeatCodec.loadKey(fileContents: try FileReader.readBytes(path))
        } catch {
          throw ValidationError("\(path): \(error)")
        }
      }
    }
    let address = try ListenAddress.parse(listen).get()
    let socket = try WitnessSocket(address: address.host, port: address.port)
    logger.info(
      "ccwitnessd listening", metadata: ["LISTEN": "\(listen)", "CLUSTERS": "\(clusters.count)"])
    var server = WitnessServer(keyring: WitnessKeyring(clusters: clusters), logger: logger)
    server.run(socket)
  }
}
