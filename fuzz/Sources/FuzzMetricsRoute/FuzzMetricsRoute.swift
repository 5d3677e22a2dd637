import Cluster
import FuzzSupport

// The Prometheus endpoint's routing (MetricsRoute), fed from raw bytes by a tiny request-line
// parser standing in for NIO's HTTP decoder: `METHOD SP TARGET SP HTTP/x.y`, to the first LF,
// a CR before it dropped. Property: it routes as documented, to the letter of the target.
func fuzzMetricsRoute(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = fuzzInput(data, size)
  let end = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
  var line = input[..<end]
  if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
  let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
  guard parts.count == 3, parts[2].starts(with: Array("HTTP/".utf8)) else { return 0 }
  let method = String(decoding: parts[0], as: UTF8.self)
  let target = String(decoding: parts[1], as: UTF8.self)
  let route = MetricsRoute(method: method, uri: target)
  // The path is the target up to its first "?".
  let path = target.prefix { $0 != "?" }
  let expected: MetricsRoute =
    path != "/metrics" ? .notFound : method == "GET" ? .metrics : .methodNotAllowed
  guard route == expected else {
    fatalError("\(method) \(target) routed to \(route), not \(expected)")
  }
  guard (route.refusal == nil) == (route == .metrics), [200, 404, 405].contains(route.statusCode)
  else {
    fatalError("\(route): status \(route.statusCode), refusal \(String(describing: route.refusal))")
  }
  return 0
}
