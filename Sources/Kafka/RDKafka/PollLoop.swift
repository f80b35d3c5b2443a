import Foundation
import Synchronization

/// A dedicated thread that calls `body` until stopped. librdkafka's poll
/// calls block for up to their time-out, so they live here and not on
/// Swift's cooperative pool.
final class PollLoop: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    /// `body` returns after at most one short poll; the loop re-checks the flag between calls.
    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            Thread.current.name = name  // from inside: on Linux a name set before start() never reaches the OS thread
            while running.load(ordering: .acquiring) { body() }
            finished.signal()
        }
        thread.start()
    }

    var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Stops the loop and waits for the thread to leave `body`. Idempotent.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
