import Foundation
import Topics

/// Which dead letters an operator means: every given condition must hold.
public struct DeadLetterFilter: Sendable, Hashable, Codable {
    /// Origin topic (where the record was first read).
    public var topic: String?
    public var service: String?
    /// The failure code (`missing_field`, `unknown_service`, ...).
    public var reason: String?
    /// Dead-lettered at or after / before.
    public var since: Date?
    public var until: Date?
    public var key: String?
    /// Only these resolutions; nil means open and replayed (purged ones are hidden).
    public var resolutions: Set<DeadLetterState.Resolution>?

    public init(topic: String? = nil, service: String? = nil, reason: String? = nil, since: Date? = nil, until: Date? = nil,
                key: String? = nil, resolutions: Set<DeadLetterState.Resolution>? = nil) {
        self.topic = topic
        self.service = service
        self.reason = reason
        self.since = since
        self.until = until
        self.key = key
        self.resolutions = resolutions
    }

    public func matches(_ letter: DeadLetter, resolution: DeadLetterState.Resolution) -> Bool {
        if let topic, letter.originTopic != topic { return false }
        if let service, letter.service != service { return false }
        if let reason, letter.code != reason { return false }
        if let since, letter.deadLetteredAtMilliseconds < Int64(since.timeIntervalSince1970 * 1000) { return false }
        if let until, letter.deadLetteredAtMilliseconds >= Int64(until.timeIntervalSince1970 * 1000) { return false }
        if let key, letter.keyString != key { return false }
        return (resolutions ?? [.open, .replayed]).contains(resolution)
    }

    /// What a replay considers: open dead letters unless the filter names states.
    public var openUnlessStatesGiven: DeadLetterFilter {
        var filter = self
        if filter.resolutions == nil { filter.resolutions = [.open] }
        return filter
    }

    /// The conditions as words, for the audit record.
    public var summary: [String: String] {
        var words: [String: String] = [:]
        words["topic"] = topic
        words["service"] = service
        words["reason"] = reason
        words["since"] = since.map(RFC3339Timestamp.format)
        words["until"] = until.map(RFC3339Timestamp.format)
        words["key"] = key.map { _ in "(given)" }  // keys can be personal data
        words["state"] = resolutions.map { $0.map(\.rawValue).sorted().joined(separator: ",") }
        return words
    }
}
