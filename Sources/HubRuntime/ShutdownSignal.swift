import Locking

/// Tells a service to stop: it finishes what it holds, commits and returns.
/// Triggered once; waiting after it was triggered returns at once.
public final class ShutdownSignal: Sendable {
    private let state = PosixMutex<(triggered: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    public var isTriggered: Bool { state.withLock { $0.triggered } }

    public func trigger() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.triggered else { return [] }
            state.triggered = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sleeps for `duration`, or less when the signal comes first (looked at every 100 ms) or the task is cancelled.
    public func sleep(for duration: Duration) async {
        let end = ContinuousClock.now + duration
        while !isTriggered, !Task.isCancelled, ContinuousClock.now < end {
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
    }

    public func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.triggered { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
