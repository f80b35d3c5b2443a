import Foundation

/// Every dead letter and its resolution, in the order they were read: the
/// store behind `hub dlq`, rebuilt from the topics on start. Queries scan
/// it in memory (100,000 dead letters take milliseconds).
public struct DeadLetterIndex: Sendable {
    public private(set) var letters: [DeadLetter] = []
    private var position: [String: Int] = [:]
    public private(set) var states: [String: DeadLetterState] = [:]

    public init() {}

    public mutating func add(_ letter: DeadLetter) {
        guard position[letter.id] == nil else { return }
        position[letter.id] = letters.count
        letters.append(letter)
    }

    /// The latest state wins, as on the compacted topic; nil clears it (a tombstone).
    public mutating func apply(_ state: DeadLetterState?, id: String) {
        states[id] = state
    }

    public func letter(id: String) -> DeadLetter? { position[id].map { letters[$0] } }

    public func resolution(of id: String) -> DeadLetterState.Resolution { states[id]?.resolution ?? .open }

    public func query(_ filter: DeadLetterFilter, limit: Int? = nil) -> [DeadLetter] {
        var found: [DeadLetter] = []
        for letter in letters where filter.matches(letter, resolution: resolution(of: letter.id)) {
            found.append(letter)
            if let limit, found.count >= limit { break }
        }
        return found
    }

    /// Counts by origin topic, by reason and by hour (UTC, `yyyy-MM-ddTHH`), busiest first.
    public func stats(_ filter: DeadLetterFilter) -> DeadLetterStats {
        var stats = DeadLetterStats()
        for letter in letters {
            let resolution = resolution(of: letter.id)
            guard filter.matches(letter, resolution: resolution) else { continue }
            stats.total += 1
            stats.byOrigin["\(letter.originTopic) (\(letter.service))", default: 0] += 1
            stats.byReason["\(letter.errorClass)/\(letter.code)", default: 0] += 1
            stats.byHour[Self.hour(letter.deadLetteredAtMilliseconds), default: 0] += 1
            stats.byResolution[resolution.rawValue, default: 0] += 1
        }
        return stats
    }

    static func hour(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour)
    }
}

/// What `hub dlq stats` prints.
public struct DeadLetterStats: Sendable, Hashable, Codable {
    public var total = 0
    public var byOrigin: [String: Int] = [:]
    public var byReason: [String: Int] = [:]
    public var byHour: [String: Int] = [:]
    public var byResolution: [String: Int] = [:]
}
