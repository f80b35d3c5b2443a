import Foundation

/// A gateway's rate limit: `ratePerSecond` sends on average, up to `burst`
/// at once. `take(at:)` says how long to wait before the next send may go.
public struct TokenBucket: Sendable, Hashable {
    public let ratePerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var last: Date?

    public init(ratePerSecond: Double, burst: Double? = nil) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst ?? ratePerSecond / 10)
        tokens = self.burst
    }

    /// Takes one token; the seconds to wait first (0 when one is ready).
    public mutating func take(at now: Date) -> Double {
        if let last { tokens = min(burst, tokens + now.timeIntervalSince(last) * ratePerSecond) }
        last = now
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / ratePerSecond
    }
}

/// Stops calling a gateway that keeps failing: after `failureThreshold`
/// failures in a row the circuit opens for `openFor`; then one trial call is
/// let through (half-open): a success closes it, a failure opens it again.
public struct CircuitBreaker: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case closed, open, halfOpen = "half-open"
    }

    public let failureThreshold: Int
    public let openFor: TimeInterval
    public private(set) var state: State = .closed
    private var failures = 0
    private var openedAt: Date?

    public init(failureThreshold: Int = 5, openFor: TimeInterval = 30) {
        self.failureThreshold = max(1, failureThreshold)
        self.openFor = openFor
    }

    /// Whether a call may go now; an open circuit lets one trial through once `openFor` has passed.
    public mutating func allows(at now: Date) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen: return false  // the trial is under way
        case .open:
            guard let openedAt, now.timeIntervalSince(openedAt) >= openFor else { return false }
            state = .halfOpen
            return true
        }
    }

    public mutating func record(success: Bool, at now: Date) {
        if success {
            state = .closed
            failures = 0
            openedAt = nil
            return
        }
        failures += 1
        if state == .halfOpen || failures >= failureThreshold {
            state = .open
            openedAt = now
        }
    }
}
