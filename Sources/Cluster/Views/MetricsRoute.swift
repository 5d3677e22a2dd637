/// What the Prometheus endpoint (`MetricsServer`) answers a request: `GET /metrics`, with any
/// query, is the exposition of the latest snapshot; any other path is 404 and any other method
/// on /metrics 405. Pure, so that it is tested and fuzzed without a socket.
public enum MetricsRoute: Sendable, Equatable {
  case metrics
  case notFound
  case methodNotAllowed

  /// `method` as the request line spells it (NIO's `HTTPMethod.rawValue`), `uri` the target.
  public init(method: String, uri: String) {
    // Up to the first "?", however it starts: "?/metrics" is not the metrics path.
    let path = uri.prefix { $0 != "?" }
    if path != "/metrics" {
      self = .notFound
    } else if method != "GET" {
      self = .methodNotAllowed
    } else {
      self = .metrics
    }
  }

  public var statusCode: Int {
    switch self {
    case .metrics: 200
    case .notFound: 404
    case .methodNotAllowed: 405
    }
  }

  /// The body and headers of a refusal; nil for `.metrics`, whose body is rendered per scrape.
  public var refusal: (body: String, headers: [(name: String, value: String)])? {
    switch self {
    case .metrics: nil
    case .notFound:
      ("not found: the metrics are at /metrics\n", [("Content-Type", "text/plain; charset=utf-8")])
    case .methodNotAllowed:
      (
        "method not allowed: only GET\n",
        [("Allow", "GET"), ("Content-Type", "text/plain; charset=utf-8")]
      )
    }
  }
}
