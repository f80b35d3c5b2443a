import ChannelDelivery
import Foundation
import Locking
import Synchronization
import Topics

/// What the register said to one query.
public enum UpstreamAnswer: Sendable, Hashable {
    case found([String: String], asOf: Date?)
    case notFound
    /// No usable answer: down, 5xx, time-out. Worth trying again within the deadline.
    case failed(code: String)
}

/// The register behind the lookups (`DAGRConnector` against the real API or the emulator).
public protocol RegisterUpstream: Sendable {
    func fetch(_ query: LookupQuery, within: Duration) async -> UpstreamAnswer
}

/// Answers one lookup request: policy, parameters, cache, one shared upstream
/// call for identical lookups in flight, retries with back-off while the
/// deadline allows, a circuit breaker that answers `unavailable` at once
/// while the register is down; and always exactly one audit record.
/// A reply that would arrive after the deadline is not made: the requester
/// has already told its caller `timeout`.
public final class LookupResolver: Sendable {
    public struct Settings: Sendable {
        /// Back-off before the first retry; doubled each time.
        public var firstBackoff: Duration = .milliseconds(20)
        public var circuitFailures: Int = 5
        public var circuitOpenSeconds: Double = 5
        public init() {}
    }

    public struct Resolution: Sendable {
        public let reply: LookupReply?
        public let audit: LookupAudit
    }

    private let upstream: any RegisterUpstream
    private let secret: String
    private let settings: Settings
    private let shared = SharedCalls<LookupQuery, UpstreamAnswer>()
    private let cache = PosixMutex(AnswerCache<LookupQuery, UpstreamAnswer>())
    private let breaker: PosixMutex<CircuitBreaker>
    private let sharedCount = Atomic<Int>(0)

    public init(upstream: any RegisterUpstream, secret: String, settings: Settings = Settings()) {
        self.upstream = upstream
        self.secret = secret
        self.settings = settings
        breaker = PosixMutex(CircuitBreaker(failureThreshold: settings.circuitFailures, openFor: settings.circuitOpenSeconds))
    }

    /// How close to its deadline a call that timed out counts as having used it up.
    static let deadlineSlack: TimeInterval = 0.02

    /// Lookups that joined an identical one already under way.
    public var sharedCalls: Int { sharedCount.load(ordering: .relaxed) }

    public func resolve(_ request: LookupRequest, policies: [String: LookupPolicy], received: Date = Date()) async -> Resolution {
        let start = ContinuousClock.now
        func finish(_ outcome: LookupOutcome, reason: String? = nil, data: [String: String]? = nil, asOf: Date? = nil, cached: Bool = false,
                    subject: String = "-") -> Resolution {
            let now = Date()
            let late = now > request.deadline
            let final: LookupOutcome = late ? .timeout : outcome
            let audit = LookupAudit(correlationId: request.correlationId, requester: request.requester, purpose: request.purpose,
                                    queryType: request.queryType, subject: subject, outcome: final, reason: late ? "deadline_passed" : reason,
                                    fromCache: cached, at: now, latencyMilliseconds: (ContinuousClock.now - start).milliseconds)
            let reply = late ? nil : LookupReply(correlationId: request.correlationId, outcome: outcome, data: data, reason: reason,
                                                 sourceTimestamp: asOf, fromCache: cached, answeredAt: now)
            return Resolution(reply: reply, audit: audit)
        }
        if received > request.deadline { return finish(.timeout, reason: "expired_on_arrival") }
        let query: LookupQuery
        do { query = try LookupQuery(request.queryType, request.parameters) } catch { return finish(.invalid, reason: error.reason) }
        let subject = query.subjectHash(secret: secret)
        let fields: Set<String>, cacheSeconds: Int
        switch LookupGate.decide(request, policies: policies) {
        case .forbid(let reason): return finish(.forbidden, reason: reason, subject: subject)
        case .allow(let allowed, let seconds): (fields, cacheSeconds) = (allowed, seconds)
        }
        func answered(_ answer: UpstreamAnswer, cached: Bool) -> Resolution {
            switch answer {
            case .found(let record, let asOf):
                return finish(.found, data: LookupGate.visible(query.answer(from: record), fields: fields), asOf: asOf, cached: cached, subject: subject)
            case .notFound:
                return finish(.notFound, cached: cached, subject: subject)
            case .failed(let code):
                // The call was given what was left of the deadline and ran out of it: the lookup timed out, however
                // close to the deadline the time-out fired (a call timed by milliseconds can end a hair before it).
                if code == "upstream_timeout" || code == "deadline", request.deadline.timeIntervalSinceNow < Self.deadlineSlack {
                    return finish(.timeout, reason: "deadline_passed", subject: subject)
                }
                return finish(.unavailable, reason: code, subject: subject)
            }
        }
        if cacheSeconds > 0, let cached = cache.withLock({ $0.get(query, at: Date()) }) { return answered(cached, cached: true) }
        guard breaker.withLock({ $0.allows(at: Date()) }) else { return finish(.unavailable, reason: "upstream_down", subject: subject) }
        let deadline = request.deadline
        let (answer, joined) = await shared.value(for: query) { [self] in
            var backoff = self.settings.firstBackoff
            while true {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0.002 else { return .failed(code: "deadline") }
                let answer = await self.upstream.fetch(query, within: .milliseconds(Int(remaining * 1000)))
                let failed: Bool = if case .failed = answer { true } else { false }
                self.breaker.withLock { $0.record(success: !failed, at: Date()) }
                guard failed, deadline.timeIntervalSinceNow > backoff.seconds * 2, self.breaker.withLock({ $0.allows(at: Date()) }) else { return answer }
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
        }
        if joined { sharedCount.add(1, ordering: .relaxed) }
        // Answers are cached (found or not found), failures never.
        let failed: Bool = if case .failed = answer { true } else { false }
        if cacheSeconds > 0, !joined, !failed { cache.withLock { $0.put(query, answer, for: cacheSeconds, at: Date()) } }
        return answered(answer, cached: false)
    }
}

extension LookupQuery {
    /// The reply's data for this query from the register's record: as little as the question needs.
    public func answer(from record: [String: String]) -> [String: String] {
        switch type {
        case .personExists: ["exists": "true"]
        case .personStatus: ["status": record["status"] ?? "unknown"]
        case .companyStatus: record.filter { ["regNumber", "name", "legalForm", "status", "registeredOn"].contains($0.key) }
        case .addressValidate: record.filter { ["code", "text", "valid", "town"].contains($0.key) }
        case .objectGet: record
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}
