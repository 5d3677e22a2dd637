import ClusterTestSupport
import Testing

@testable import Agent

#if canImport(Glibc)
  import Glibc
#endif

// Namespaces, threads and names shared by the tests that need the kernel.

let runningAsRoot = getuid() == 0

func randomHex(_ digits: Int) -> String {
  let value = UInt64.random(in: 0...UInt64.max)
  let text = String(value, radix: 16)
  return String(text.suffix(digits))
}

/// Removes namespaces left by test processes that died before their cleanup ran (a trap
/// skips `defer`). Runs once per process.
private let staleNamespacesRemoved: Void = {
  for line in runCommand(["ip", "netns", "list"]).output.split(separator: "\n") {
    guard let name = line.split(separator: " ").first, name.hasPrefix("ccio-") else { continue }
    let parts = name.split(separator: "-")
    guard parts.count == 3, let pid = Int32(parts[1]), pid != getpid(),
      kill(pid, 0) != 0 && errno == ESRCH
    else { continue }
    runCommand(["ip", "netns", "del", String(name)])
  }
}()

/// A named network namespace, removed with everything in it when `body` ends, even on failure.
func withTestNamespace<T>(_ body: (String) throws -> T) throws -> T {
  let name = try addTestNamespace()
  defer { runCommand(["ip", "netns", "del", name]) }
  return try body(name)
}

/// `withTestNamespace` for async bodies.
func withTestNamespaceAsync(_ body: (String) async throws -> Void) async throws {
  let name = try addTestNamespace()
  defer { runCommand(["ip", "netns", "del", name]) }
  try await body(name)
}

func addTestNamespace() throws -> String {
  staleNamespacesRemoved
  let name = "ccio-\(getpid())-\(randomHex(6))"
  let created = runCommand(["ip", "netns", "add", name])
  guard created.status == 0 else { throw TestFailure(created.output) }
  return name
}

@discardableResult
func ipIn(_ namespace: String, _ arguments: String...) -> Int32 {
  let result = runCommand(["ip", "-n", namespace] + arguments)
  if result.status != 0 { Issue.record("ip \(arguments): \(result.output)") }
  return result.status
}

func sysctlIn(_ namespace: String, _ setting: String) {
  let result = runCommand(["ip", "netns", "exec", namespace, "sysctl", "-qw", setting])
  if result.status != 0 { Issue.record("sysctl \(setting): \(result.output)") }
}

/// setns(2) is hidden behind _GNU_SOURCE in the Glibc module; look it up at run time.
func enterNamespace(_ name: String) throws {
  typealias SetNS = @convention(c) (Int32, Int32) -> Int32
  guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else {
    throw TestFailure("no setns")
  }
  let setns = unsafeBitCast(symbol, to: SetNS.self)
  let fd = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw TestFailure("open netns \(name): errno \(errno)") }
  defer { close(fd) }
  guard setns(fd, 0x4000_0000) == 0 else {  // CLONE_NEWNET
    throw TestFailure("setns: errno \(errno)")
  }
}

/// A plain thread. Sockets keep the namespace they were created in, so a thread that enters a
/// namespace, opens a socket and ends leaves the rest of the process untouched.
final class PlainThread: @unchecked Sendable {
  // Unchecked: `body` runs on the new thread only, and callers read what it wrote after join().
  private var thread = pthread_t()
  private let body: () -> Void

  init(_ body: @escaping () -> Void) throws {
    self.body = body
    let context = Unmanaged.passRetained(self).toOpaque()
    let created = pthread_create(
      &thread, nil,
      { context in
        guard let context else { return nil }
        Unmanaged<PlainThread>.fromOpaque(context).takeRetainedValue().body()
        return nil
      }, context)
    guard created == 0 else {
      Unmanaged<PlainThread>.fromOpaque(context).release()
      throw TestFailure("pthread_create: \(created)")
    }
  }

  func join() { pthread_join(thread, nil) }
}

/// Runs `body` on a fresh thread, inside `namespace` when given, and waits for it.
func runOnThread<T>(inNamespace namespace: String? = nil, _ body: () throws -> T) throws
  -> T
{
  var result: Result<T, any Error> = .failure(TestFailure("thread did not run"))
  try withoutActuallyEscaping(body) { body in
    let thread = try PlainThread {
      result = Result {
        if let namespace { try enterNamespace(namespace) }
        return try body()
      }
    }
    thread.join()
  }
  return try result.get()
}

/// Reads events until one matches or `bound` passes.
func waitForLink(
  _ monitor: LinkMonitor, within bound: Duration = .seconds(2),
  _ predicate: (LinkObservation) -> Bool
) throws -> LinkObservation? {
  let deadline = ContinuousClock.now.advanced(by: bound)
  while ContinuousClock.now < deadline {
    let events = try monitor.nextEvents(timeout: ContinuousClock.now.duration(to: deadline))
    if let match = events.first(where: predicate) { return match }
  }
  return nil
}
