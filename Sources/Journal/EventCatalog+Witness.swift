import Cluster

extension EventCatalog {
  /// The records of the witness events (DESIGN §12).
  static func witnessRecord(_ event: WitnessEvent, context: EventContext) -> EventRecord {
    let address = context.witnessAddress ?? "unknown"
    switch event {
    case .lost(let age):
      return make(
        .witnessLost,
        "witness \(address) lost (last contact "
          + (age.map { "\($0) ms ago" } ?? "never") + ")",
        context,
        [("WITNESS_ADDRESS", address), ("LAST_CONTACT_AGE_MS", age.map(String.init) ?? "never")])
    case .found:
      return make(
        .witnessFound, "witness \(address) reachable", context, [("WITNESS_ADDRESS", address)])
    case .grantChanged(let holder, let confirmed):
      return make(
        .witnessGrant, "witness \(address): " + event.summary.dropFirst("witness ".count), context,
        [
          ("WITNESS_ADDRESS", address), ("GRANT_HOLDER", holder.map { "node\($0)" } ?? "none"),
          ("GRANT_CONFIRMED", confirmed ? "yes" : "no"),
        ])
    case .rejected(let reason):
      return authenticationFailure(
        source: address, link: "witness", reason: reason, context: context)
    }
  }
}
