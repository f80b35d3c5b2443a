import Synchronization

/// At most `count` calls with the gateway at once, whatever the number of
/// notices being prepared: a worker handles twice as many notices as it has
/// slots, so the next notices' `sending` receipts are acknowledged while the
/// current ones are with the gateway, and a slot never waits for Kafka.
/// Waiters are served in arrival order.
public final class GatewaySlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
        var busiest = 0
    }

    private let count: Int
    private let state: Mutex<State>

    public init(_ count: Int) {
        self.count = max(1, count)
        state = Mutex(State(free: self.count))
    }

    /// Runs `call` in a slot, waiting for one to be free.
    public func withSlot<T>(_ call: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await call()
    }

    /// The most calls that were in their slots at once.
    public var busiest: Int { state.withLock { $0.busiest } }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                state.busiest = max(state.busiest, count - state.free)
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()  // the slot passes straight to the next waiter
        }
        next?.resume()
    }
}
