import Foundation

/// What a long-running service remembers of its recent work (a channel
/// worker's outcomes, the fan-out's notices made): each entry for `memory`
/// at least and twice that at most. Entries live in two generations; once
/// the current one is `memory` old, `forget` drops the older and starts a
/// new one. A service that reads back only `memory` of its topic when it
/// starts then neither starts slower nor holds more as the topic's retention
/// grows.
public struct RecentMemory<Key: Hashable, Value> {
    private var current: [Key: Value] = [:]
    private var earlier: [Key: Value] = [:]
    private var generationStart: Date
    /// How long an entry is remembered at least.
    public let memory: TimeInterval

    public init(memory: TimeInterval = .infinity, now: Date = Date()) {
        self.memory = memory
        generationStart = now
    }

    public subscript(key: Key) -> Value? { current[key] ?? earlier[key] }

    /// Sets the entry in the current generation (remembered afresh).
    public mutating func set(_ key: Key, _ value: Value) {
        earlier[key] = nil
        current[key] = value
    }

    /// Remembers `key` unless it is remembered already; true when it was not.
    public mutating func insert(_ key: Key, _ value: Value) -> Bool {
        guard self[key] == nil else { return false }
        current[key] = value
        return true
    }

    public mutating func remove(_ key: Key) {
        current[key] = nil
        earlier[key] = nil
    }

    /// Drops the older generation once the current one is `memory` old, and starts a new one; how many entries
    /// were forgotten.
    public mutating func forget(now: Date) -> Int {
        guard now.timeIntervalSince(generationStart) >= memory else { return 0 }
        let forgotten = earlier.count
        earlier = current
        current = [:]
        generationStart = now
        return forgotten
    }

    public var count: Int { current.count + earlier.count }
}

extension RecentMemory: Sendable where Key: Sendable, Value: Sendable {}

extension RecentMemory where Value == Void {
    /// Remembers `key` unless it is remembered already; true when it was not.
    public mutating func insert(_ key: Key) -> Bool { insert(key, ()) }
    public func contains(_ key: Key) -> Bool { self[key] != nil }
}
