import Cluster
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The node's socket to its witness (DESIGN §12): requests go out with `sendto` from the
/// driver, answers come back on the same socket (the witness answers the request's source
/// port) and are read by a thread of their own into the driver's input stream.
final class WitnessClient: Sendable {
  private let sender: UDPSender
  private let witness: ICMPAddress
  private let port: Int
  private let stopped = Atomic<Bool>(false)
  private let wakePipe: WakePipe
  private let thread = Mutex<NamedThread?>(nil)

  /// One byte more than the largest valid answer, so an oversized datagram is seen as such.
  static let readLimit = WitnessCodec.maximumMessageSize + 1

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  init(endpoint: WitnessEndpoint) throws {
    do {
      witness = try ICMPAddress(endpoint.address)
    } catch {
      throw Failure(description: "witness address \(endpoint.address): \(error)")
    }
    port = endpoint.port
    let any = witness.family == .inet ? "0.0.0.0" : "::"
    sender = try UDPSender(localAddress: any, peerAddress: endpoint.address, peerPort: port)
    wakePipe = try WakePipe()
  }

  /// A lost witness makes sends fail; its silence is what the core measures.
  func send(_ bytes: [UInt8]) {
    sender.send(bytes)
  }

  func start(inputs: DriverInputs, logger: Logger) {
    let started = NamedThread.launch(name: "ccagent-witness", what: "witness", logger: logger) {
      [self] in
      receive(inputs: inputs)
    }
    thread.withLock { $0 = started }
  }

  /// Tells the thread to stop, waits for it, and closes the socket.
  func stop() {
    stopped.store(true, ordering: .relaxed)
    wakePipe.wake()
    thread.withLock { $0 }?.join()
    sender.close()
  }

  private func receive(inputs: DriverInputs) {
    var buffer = [UInt8](repeating: 0, count: Self.readLimit)
    while !stopped.load(ordering: .relaxed) {
      var fds = [
        pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0),
        pollfd(fd: sender.fd, events: Int16(POLLIN), revents: 0),
      ]
      guard poll(&fds, 2, -1) > 0 else { continue }
      if fds[0].revents != 0 { wakePipe.drain() }
      guard fds[1].revents != 0 else { continue }
      while true {
        var source = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
          withUnsafeMutablePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
              recvfrom(sender.fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &length)
            }
          }
        }
        guard count >= 0 else { break }  // EAGAIN, or an ICMP error from a lost witness
        let address = ICMPAddress(source)
        let fromWitness = address == witness && Self.port(of: source) == port
        inputs.yield(
          .witnessDatagram(
            Array(buffer[..<count]), source: address?.description ?? "unknown",
            fromWitness: fromWitness))
      }
    }
  }

  private static func port(of storage: sockaddr_storage) -> Int {
    var storage = storage
    let family = Int32(storage.ss_family)
    return withUnsafeBytes(of: &storage) { raw in
      switch family {
      case AF_INET: Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
      case AF_INET6: Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
      default: -1
      }
    }
  }
}
