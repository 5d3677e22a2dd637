/// The split-brain prevention parts of the views (DESIGN §12).
extension StatusView {
  static func witnessLines(_ w: WitnessStatus, time: (ClusterTime) -> String) -> String {
    let holder =
      w.grantHolder.map { "node\($0)" + (w.grantConfirmed ? "" : " (unconfirmed)") } ?? "none"
    var out = "Witness: \(w.address) port \(w.port), \(w.reachability.rawValue)"
    out += ", grant holder: \(holder)"
    if w.claiming { out += ", claiming" }
    out += ", last contact: "
    out += w.lastContactMilliseconds.map { time(.milliseconds($0)) } ?? "never"
    return out + "\n"
  }

  static func lanStatistics(_ s: LinkStatistics) -> String {
    guard let sent = s.lanHeartbeatsSent else { return "" }
    return """
      LAN heartbeat statistics:
          Heartbeat packets sent: \(sent)
          Heartbeat packets received: \(s.lanHeartbeatsReceived ?? 0)
          Heartbeat packet errors: \(s.lanHeartbeatErrors ?? 0)

      """
  }
}
