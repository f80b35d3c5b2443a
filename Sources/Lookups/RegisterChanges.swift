import Foundation
import Topics

/// A change as the register lists it on `GET /v1/changes?since=N`. Every
/// field is optional here so that one malformed entry is reported on its
/// own instead of spoiling the whole page.
public struct UpstreamChange: Codable, Sendable, Hashable {
    public var changeId: Int?
    /// `company.liquidated`, `company.renamed`, `address.changed`, `person.deceased`, …
    public var kind: String?
    /// `person`, `company` or `address`.
    public var objectType: String?
    /// The register's own key: a person code, a registration number, an address code.
    public var key: String?
    public var changedAt: String?
    /// Which fields of the record changed.
    public var changedFields: [String]?

    public init(changeId: Int?, kind: String?, objectType: String?, key: String?, changedAt: String?, changedFields: [String]? = nil) {
        self.changeId = changeId
        self.kind = kind
        self.objectType = objectType
        self.key = key
        self.changedAt = changedAt
        self.changedFields = changedFields
    }
}

/// What the register's change list said.
public enum ChangesAnswer: Sendable, Hashable {
    case changes([UpstreamChange])
    /// No usable answer (down, 5xx, time-out, not a change list); asked again at the next poll.
    case failed(code: String)
}

/// The register's change list (`DAGRConnector` against the real API or the emulator).
public protocol RegisterChangeSource: Sendable {
    /// At most `limit` changes with an id above `since`, oldest first.
    func changes(since: Int, limit: Int) async -> ChangesAnswer
}

/// Turns the register's changes into `dagr.changes` records: a person is
/// named by its client key (the pseudonym profiles are kept under), never
/// by its code; a company by its registration number (and its client key);
/// an address by its code. An entry that cannot be placed gets a reason.
public struct RegisterChangeTranslator: Sendable {
    public struct Rejection: Error, Sendable, Hashable {
        /// `no_change_id`, `unknown_object_type`, `bad_key`, `bad_kind`, `bad_time`.
        public let code: String
        public let message: String
    }

    private let secret: String

    /// `secret` is `hub.pseudonym.secret`: the client keys match those of `clients.profiles`.
    public init(secret: String) { self.secret = secret }

    public func translate(_ change: UpstreamChange, publishedAt: Date) -> Result<RegisterChange, Rejection> {
        func reject(_ code: String, _ message: String) -> Result<RegisterChange, Rejection> { .failure(Rejection(code: code, message: message)) }
        guard let id = change.changeId, id > 0 else { return reject("no_change_id", "a change needs a positive changeId") }
        guard let type = change.objectType, ["person", "company", "address"].contains(type) else {
            return reject("unknown_object_type", "objectType must be person, company or address")
        }
        guard let kind = change.kind, kind.hasPrefix(type + "."), kind.count > type.count + 1 else {
            return reject("bad_kind", "kind must be '\(type).<what happened>'")
        }
        guard let at = change.changedAt.flatMap(RFC3339Timestamp.parse) else { return reject("bad_time", "changedAt must be RFC 3339") }
        let raw = change.key ?? ""
        let objectKey: String, clientKey: String?
        switch type {
        case "person":
            guard let code = LookupQuery.personCode(raw) else { return reject("bad_key", "not a person code") }
            objectKey = ClientPseudonym.key(for: PartyReference(type: .person, id: code), secret: secret)
            clientKey = objectKey
        case "company":
            guard LookupQuery.isRegistrationNumber(raw) else { return reject("bad_key", "not a registration number (11 digits)") }
            objectKey = raw
            clientKey = ClientPseudonym.key(for: PartyReference(type: .company, id: raw), secret: secret)
        default:
            guard LookupQuery.isAddressCode(raw) else { return reject("bad_key", "not an address code (6 to 12 digits)") }
            objectKey = raw
            clientKey = nil
        }
        return .success(RegisterChange(changeId: id, kind: kind, objectType: type, objectKey: objectKey, changedAt: at,
                                       clientKey: clientKey, changedFields: change.changedFields, publishedAt: publishedAt))
    }

    /// The entry as it may be kept in a dead letter: its key replaced by a keyed hash, so no person code leaves the register.
    public func redacted(_ change: UpstreamChange) -> UpstreamChange {
        var copy = change
        copy.key = change.key.map { LookupQuery.keyedHash("change:\($0)", secret: secret) }
        return copy
    }
}
