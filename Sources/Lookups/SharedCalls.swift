import Foundation
import Locking

/// Identical lookups in flight at once share one upstream call: the first
/// caller's task runs, later callers with the same key wait for its result.
public final class SharedCalls<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let inFlight = PosixMutex<[Key: Task<Value, Never>]>([:])

    public init() {}

    /// The value for `key`, and whether this caller joined a call already under way.
    public func value(for key: Key, _ call: @escaping @Sendable () async -> Value) async -> (value: Value, shared: Bool) {
        let (task, shared) = inFlight.withLock { calls -> (Task<Value, Never>, Bool) in
            if let running = calls[key] { return (running, true) }
            let task = Task { await call() }
            calls[key] = task
            return (task, false)
        }
        let value = await task.value
        if !shared { _ = inFlight.withLock { $0.removeValue(forKey: key) } }
        return (value, shared)
    }
}

/// Answers kept for as long as the policy allows, per query.
public struct AnswerCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var entries: [Key: (value: Value, until: Date)] = [:]
    public init() {}

    public func get(_ key: Key, at now: Date) -> Value? {
        guard let entry = entries[key], entry.until > now else { return nil }
        return entry.value
    }

    public mutating func put(_ key: Key, _ value: Value, for seconds: Int, at now: Date) {
        guard seconds > 0 else { return }
        entries[key] = (value, now.addingTimeInterval(Double(seconds)))
        if entries.count > 100_000 { entries = entries.filter { $0.value.until > now } }
    }
}
