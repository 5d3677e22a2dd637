import Cluster
import FuzzSupport

// Control-socket requests as ccagentd reads them (ControlSocketServer): a connection's bytes,
// at most 64 KiB buffered, cut at newlines, each line (invalid UTF-8 repaired) decoded with
// JSONView.decode; a trailing line without its newline waits for more and is not decoded.
// What decodes is acted on as ClusterDriver.request does, on a started machine.
private let maximumPending = 65536

private let started: ClusterStateMachine = {
  let configuration = FuzzFixture.configuration
  var machine = ClusterStateMachine(
    configuration: configuration, localNode: 0, bootEpoch: 1000,
    configDigest: ConfigurationDigest.digest(of: configuration))
  _ = machine.start(now: .zero, interfaces: ["eth1": .up])
  return machine
}()

func fuzzControlRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = fuzzInput(data, size)
  guard input.count <= maximumPending else { return 0 }
  var machine = started
  var pending = input[...]
  while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
    let line = String(decoding: pending[..<newline], as: UTF8.self)
    pending = pending[(newline + 1)...]
    let request: ControlRequest
    do {
      request = try JSONView.decode(ControlRequest.self, from: line)
    } catch {
      _ = "malformed request: \(error)"
      continue
    }
    // ccctl's encoding of what the daemon accepted is accepted again, as the same request.
    let again = try? JSONView.decode(ControlRequest.self, from: JSONView.encode(request))
    if again != request { fatalError("request does not round-trip: \(request)") }
    act(on: request, machine: &machine)
  }
  return 0
}

private func act(on request: ControlRequest, machine: inout ClusterStateMachine) {
  let now = ClusterTime.milliseconds(500)
  let result: Result<[ClusterAction], RequestRefusal>
  switch request.command {
  case .show: return
  case .failover:
    guard let group = request.group, let node = request.node else { return }
    result = machine.requestManualFailover(group: group, node: node, requestedBy: 0, now: now)
  case .failoverReset:
    guard let group = request.group else { return }
    result = machine.resetManualFailover(group: group, requestedBy: 0, now: now)
  case .clearFailoverCount:
    result = .success(machine.clearFailoverCount(requestedBy: 0, now: now))
  }
  if case .failure(let refusal) = result {
    _ = JSONView.encode(ControlResponse(ok: false, error: refusal.message))
  }
}
