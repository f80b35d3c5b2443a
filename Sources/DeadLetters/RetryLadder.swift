import Foundation
import Topics

/// The delays a service waits before trying a retriable record again, one
/// per attempt; after the last one the record is dead-lettered. Each delay
/// rides on the shared retry topic of the smallest tier that holds it
/// (`hub.retry.10s`, `hub.retry.1m`, `hub.retry.10m`), so within one retry
/// topic no record waits behind one due much later.
public struct RetryLadder: Sendable, Hashable, CustomStringConvertible {
    public let delaysSeconds: [Double]
    /// Each delay is stretched by a random share up to this (0.2: up to 20% longer), so records that
    /// failed together (a gateway outage) do not all come back in the same instant. Never shorter.
    public var jitter: Double

    public init(delaysSeconds: [Double], jitter: Double = 0) {
        self.delaysSeconds = delaysSeconds
        self.jitter = max(0, jitter)
    }

    /// 10 seconds, 1 minute, 10 minutes.
    public static let standard = RetryLadder(delaysSeconds: [10, 60, 600])
    /// No retries: retriable failures are dead-lettered at once.
    public static let none = RetryLadder(delaysSeconds: [])

    /// `"10s,1m,10m"`, `"500ms,2s"` or `"none"`; each delay at most 10 minutes.
    public init(parsing text: String) throws(LadderError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "none" || trimmed.isEmpty { self = .none; return }
        var delays: [Double] = []
        for part in trimmed.split(separator: ",") {
            let word = part.trimmingCharacters(in: .whitespaces)
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
            guard let (suffix, scale) = units.first(where: { word.hasSuffix($0.0) }),
                  let number = Double(word.dropLast(suffix.count)), number > 0 else { throw LadderError(text: text) }
            let seconds = number * scale
            guard seconds <= 600 else { throw LadderError(text: text) }
            delays.append(seconds)
        }
        self.init(delaysSeconds: delays)
    }

    /// The delay before attempt `attempt + 1`, after `attempt` failures, without jitter; nil when the ladder is exhausted.
    public func delay(afterAttempt attempt: Int) -> Double? {
        attempt >= 1 && attempt <= delaysSeconds.count ? delaysSeconds[attempt - 1] : nil
    }

    /// The delay with its jitter: `random` (0..<1) picks how far into the stretch it falls.
    public func jitteredDelay(afterAttempt attempt: Int, random: Double = Double.random(in: 0 ..< 1)) -> Double? {
        delay(afterAttempt: attempt).map { $0 * (1 + jitter * random) }
    }

    /// The retry topic that carries a delay.
    public static func topic(forDelay seconds: Double) -> String {
        if seconds <= 10 { return HubTopics.hubRetry10s.name }
        if seconds <= 60 { return HubTopics.hubRetry1m.name }
        return HubTopics.hubRetry10m.name
    }

    /// The three retry topics, shortest first.
    public static let topics = [HubTopics.hubRetry10s.name, HubTopics.hubRetry1m.name, HubTopics.hubRetry10m.name]

    public var description: String {
        delaysSeconds.isEmpty ? "none" : delaysSeconds.map { $0 < 1 ? "\(Int($0 * 1000))ms" : "\($0.formatted)s" }.joined(separator: ",")
    }
}

public struct LadderError: Error, CustomStringConvertible {
    public let text: String
    public var description: String { "retry ladder '\(text)' must be 'none' or delays like 10s,1m,10m (ms, s or m; at most 10m each)" }
}

extension Double {
    fileprivate var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
