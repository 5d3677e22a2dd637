import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A bounded queue with one thread of its own that handles the jobs in order: what the
/// driver hands to slow outputs (the journal, notify scripts) so that they can stall without
/// stalling it. `submit` never blocks; a full queue drops the new job and counts it; `stop`
/// handles what is queued, then ends the thread.
final class SerialWorker<Job: Sendable>: Sendable {
  let capacity: Int

  private struct State: Sendable {
    var queue: [Job] = []
    var droppedSinceReport = 0
    var dropped = 0
    var stopping = false
  }

  private let state = Mutex(State())
  private let wakePipe: WakePipe
  private let thread = Mutex<NamedThread?>(nil)
  private let handle: @Sendable (Job) -> Void
  private let reportDropped: @Sendable (Int) -> Void

  /// - Parameters:
  ///   - handle: runs on the worker thread, one job at a time, in submission order.
  ///   - reportDropped: runs on the worker thread once the queue has room again, with the
  ///     number of jobs dropped meanwhile.
  init(
    name: String, capacity: Int, handle: @escaping @Sendable (Job) -> Void,
    reportDropped: @escaping @Sendable (Int) -> Void
  ) throws {
    self.capacity = capacity
    self.handle = handle
    self.reportDropped = reportDropped
    wakePipe = try WakePipe()
    let started = NamedThread(name: name) { [self] in run() }
    thread.withLock { $0 = started }
    let rc = started.start()
    if rc != 0 { throw WakePipe.Failure(errno: rc) }
  }

  /// Jobs dropped since start because the queue was full.
  var droppedCount: Int { state.withLock { $0.dropped } }

  func submit(_ job: Job) {
    let accepted: Bool = state.withLock { s in
      guard !s.stopping else { return false }
      guard s.queue.count < capacity else {
        s.droppedSinceReport += 1
        s.dropped += 1
        return false
      }
      s.queue.append(job)
      return true
    }
    if accepted { wakePipe.wake() }
  }

  func stop() {
    state.withLock { $0.stopping = true }
    wakePipe.wake()
    thread.withLock { $0 }?.join()
  }

  private func run() {
    while true {
      // The whole queue at once: while those run, the queue takes up to `capacity` more.
      let (batch, dropped, stopping) = state.withLock { s -> ([Job], Int, Bool) in
        let batch = s.queue
        s.queue.removeAll(keepingCapacity: true)
        defer { s.droppedSinceReport = 0 }
        return (batch, s.droppedSinceReport, s.stopping)
      }
      for job in batch { handle(job) }
      if dropped > 0 { reportDropped(dropped) }
      if batch.isEmpty && dropped == 0 {
        if stopping { return }
        var wake = pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&wake, 1, -1)
        wakePipe.drain()
      }
    }
  }
}
