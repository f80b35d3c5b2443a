import Foundation
import Kafka

/// Every dead letter and its resolution, oldest first once `orderByTime` ran: the
/// store behind `hub dlq`, rebuilt from the topics on start. Queries scan
/// it in memory (100,000 dead letters take milliseconds).
public struct DeadLetterIndex: Sendable {
    public private(set) var letters: [DeadLetter] = []
    private var position: [String: Int] = [:]
    public private(set) var states: [String: DeadLetterState] = [:]
    private var strings = StringPool()

    public init() {}

    /// Adds the record when it is a dead letter; false when it carries no failure headers.
    @discardableResult
    public mutating func add(_ record: KafkaConsumerRecord) -> Bool {
        guard let letter = DeadLetter(record, strings: &strings) else { return false }
        add(letter)
        return true
    }

    public mutating func add(_ letter: DeadLetter) {
        guard position[letter.id] == nil else { return }
        position[letter.id] = letters.count
        letters.append(letter)
    }

    /// Oldest first by when each was dead-lettered (ties keep the order read, so one partition's
    /// letters stay in order), as `hub dlq` lists and replays them: the topics' partitions are read
    /// one after another, so the order read is not the order of time.
    public mutating func orderByTime() {
        letters = letters.enumerated()
            .sorted { ($0.element.deadLetteredAtMilliseconds, $0.offset) < ($1.element.deadLetteredAtMilliseconds, $1.offset) }
            .map(\.element)
        position = Dictionary(uniqueKeysWithValues: letters.enumerated().map { ($1.id, $0) })
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
        // Counted by the letters' own (shared) strings and hour numbers; formatted once per distinct value.
        struct Origin: Hashable { let topic: String; let service: String }
        struct Reason: Hashable { let errorClass: String; let code: String }
        var origins: [Origin: Int] = [:], reasons: [Reason: Int] = [:], hours: [Int64: Int] = [:]
        var resolutions: [DeadLetterState.Resolution: Int] = [:]
        var total = 0
        for letter in letters {
            let resolution = resolution(of: letter.id)
            guard filter.matches(letter, resolution: resolution) else { continue }
            total += 1
            origins[Origin(topic: letter.originTopic, service: letter.service), default: 0] += 1
            reasons[Reason(errorClass: letter.errorClass, code: letter.code), default: 0] += 1
            hours[letter.deadLetteredAtMilliseconds / 3_600_000, default: 0] += 1
            resolutions[resolution, default: 0] += 1
        }
        var stats = DeadLetterStats()
        stats.total = total
        for (origin, count) in origins { stats.byOrigin["\(origin.topic) (\(origin.service))", default: 0] += count }
        for (reason, count) in reasons { stats.byReason["\(reason.errorClass)/\(reason.code)", default: 0] += count }
        for (hour, count) in hours { stats.byHour[Self.hour(hour * 3_600_000), default: 0] += count }
        for (resolution, count) in resolutions { stats.byResolution[resolution.rawValue] = count }
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
