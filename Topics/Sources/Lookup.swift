import Foundation

/// What a lookup asks DAGR (docs/lookups.md).
public enum LookupQueryType: String, Codable, Sendable, Hashable, CaseIterable {
    /// Does a person with this code exist? Parameters: `personCode`.
    case personExists = "person.exists"
    /// Alive or deceased, nothing more. Parameters: `personCode`.
    case personStatus = "person.status"
    /// Registered, name, legal form, active or liquidated. Parameters: `regNumber`.
    case companyStatus = "company.status"
    /// Is this an address of the state address register? Parameters: `code` or `text`.
    case addressValidate = "address.validate"
    /// Any data object of a dataset by id. Parameters: `dataset`, `id`.
    case objectGet = "object.get"

    /// Whether the subject is a natural person (no cache unless the policy says so, hashed in the audit).
    public var concernsPerson: Bool { self == .personExists || self == .personStatus }
}

/// Who asks: an agency's system.
public struct Requester: Codable, Sendable, Hashable {
    public var agency: String
    public var system: String
    public init(agency: String, system: String) {
        self.agency = agency
        self.system = system
    }
    public var name: String { "\(agency)/\(system)" }
}

/// A lookup on `dagr.lookup.requests`, keyed by its correlation id.
public struct LookupRequest: Codable, Sendable, Hashable {
    public var correlationId: UUID
    /// Where the reply goes (`dagr.lookup.replies` unless the requester reads its own topic).
    public var replyTopic: String
    public var requester: Requester
    /// The legal-basis code the lookup is made under: no purpose, no lookup.
    public var purpose: String
    public var queryType: LookupQueryType
    public var parameters: [String: String]
    /// No reply after this time: the requester has stopped waiting.
    public var deadline: Date

    public init(correlationId: UUID, replyTopic: String, requester: Requester, purpose: String, queryType: LookupQueryType,
                parameters: [String: String], deadline: Date) {
        self.correlationId = correlationId
        self.replyTopic = replyTopic
        self.requester = requester
        self.purpose = purpose
        self.queryType = queryType
        self.parameters = parameters
        self.deadline = deadline
    }
}

public enum LookupOutcome: String, Codable, Sendable, Hashable, CaseIterable {
    case found
    case notFound = "not_found"
    case forbidden
    case invalid
    case unavailable
    case timeout
}

/// The answer on the request's reply topic, keyed by its correlation id.
public struct LookupReply: Codable, Sendable, Hashable {
    public var correlationId: UUID
    public var outcome: LookupOutcome
    /// Only the fields the policy lets this requester see.
    public var data: [String: String]?
    /// Machine-readable detail for `forbidden`, `invalid` and `unavailable` (`no_rule`, `bad_person_code`, `upstream_down`, ...).
    public var reason: String?
    /// As of when the register said it.
    public var sourceTimestamp: Date?
    public var fromCache: Bool
    public var answeredAt: Date

    public init(correlationId: UUID, outcome: LookupOutcome, data: [String: String]? = nil, reason: String? = nil, sourceTimestamp: Date? = nil,
                fromCache: Bool = false, answeredAt: Date = Date()) {
        self.correlationId = correlationId
        self.outcome = outcome
        self.data = data
        self.reason = reason
        self.sourceTimestamp = sourceTimestamp
        self.fromCache = fromCache
        self.answeredAt = answeredAt
    }
}

/// One record per lookup on `dagr.lookup.audit`: who asked what, why, and what came of it.
/// The subject is a keyed hash (never the person code or any other parameter).
public struct LookupAudit: Codable, Sendable, Hashable {
    public var correlationId: UUID
    public var requester: Requester
    public var purpose: String
    public var queryType: LookupQueryType
    /// `hmac:` and the keyed SHA-256 of the query's subject, hex; the same subject always hashes the same.
    public var subject: String
    public var outcome: LookupOutcome
    public var reason: String?
    public var fromCache: Bool
    public var at: Date
    public var latencyMilliseconds: Double

    public init(correlationId: UUID, requester: Requester, purpose: String, queryType: LookupQueryType, subject: String, outcome: LookupOutcome,
                reason: String?, fromCache: Bool, at: Date, latencyMilliseconds: Double) {
        self.correlationId = correlationId
        self.requester = requester
        self.purpose = purpose
        self.queryType = queryType
        self.subject = subject
        self.outcome = outcome
        self.reason = reason
        self.fromCache = fromCache
        self.at = at
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// Who may ask what: one agency's rules on the compacted `dagr.policy`, keyed by the agency,
/// loaded from a file under version control (`Topics/samples/lookup-policy.json`).
public struct LookupPolicy: Codable, Sendable, Hashable {
    public struct Rule: Codable, Sendable, Hashable {
        /// The agency's systems this rule covers; `*` for all.
        public var systems: [String]
        public var queryTypes: [LookupQueryType]
        /// Legal-basis codes the lookups may be made under.
        public var purposes: [String]
        /// Fields of the answer the requester may see; others are dropped.
        public var fields: [String]
        /// How long an answer may be served from cache for this rule; absent or 0: never cached.
        public var cacheSeconds: Int?

        public init(systems: [String], queryTypes: [LookupQueryType], purposes: [String], fields: [String], cacheSeconds: Int? = nil) {
            self.systems = systems
            self.queryTypes = queryTypes
            self.purposes = purposes
            self.fields = fields
            self.cacheSeconds = cacheSeconds
        }
    }

    public var agency: String
    public var rules: [Rule]

    public init(agency: String, rules: [Rule]) {
        self.agency = agency
        self.rules = rules
    }
}

/// A change the register reports about data a system may have pre-filled: on `dagr.changes`,
/// keyed by `objectKey`, so one object's changes stay in order. Written by the change feed
/// (`ChangeFeedService`) from the register's change list, each change once.
public struct RegisterChange: Codable, Sendable, Hashable {
    /// The register's sequence number of the change.
    public var changeId: Int
    /// `company.liquidated`, `company.renamed`, `address.changed`, `person.deceased`, …
    public var kind: String
    /// `company`, `address` or `person`.
    public var objectType: String
    /// The object's key: a company's registration number, an address code; for a person, the client key (pseudonym).
    public var objectKey: String
    public var changedAt: Date
    /// The client key (pseudonym) of the person or company, as `clients.profiles` is keyed; none for an address.
    public var clientKey: String?
    /// Which fields of the register's record changed.
    public var changedFields: [String]?
    /// When the hub published it.
    public var publishedAt: Date?

    public init(changeId: Int, kind: String, objectType: String, objectKey: String, changedAt: Date,
                clientKey: String? = nil, changedFields: [String]? = nil, publishedAt: Date? = nil) {
        self.changeId = changeId
        self.kind = kind
        self.objectType = objectType
        self.objectKey = objectKey
        self.changedAt = changedAt
        self.clientKey = clientKey
        self.changedFields = changedFields
        self.publishedAt = publishedAt
    }
}

/// How far the change feed has read the register's change list: on the compacted
/// `dagr.changes.cursor`, written in the same transaction as the changes it covers.
public struct ChangeFeedCursor: Codable, Sendable, Hashable {
    /// The highest change id published.
    public var changeId: Int
    public var at: Date

    public init(changeId: Int, at: Date) {
        self.changeId = changeId
        self.at = at
    }
}
