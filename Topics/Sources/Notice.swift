import Foundation

/// One delivery for a channel worker: a record on `notify.<channel>`, keyed
/// by the recipient's pseudonym so one person's notices stay in order.
public struct Notice: Codable, Sendable, Hashable {
    /// Derived from (request, recipient, channel): the same request yields the same id, so replays de-duplicate.
    public var notificationId: UUID
    public var channel: NotifyChannel
    /// Who receives it: the client or a representative (pseudonym).
    public var recipientKey: String
    public var role: RecipientRole
    /// Where it goes: phone number, e-mail address, device tokens, or the e-address (by client key).
    public var to: [String]
    public var messageClass: MessageClass
    /// Whether it carries the message itself, or only says there is one.
    public var carriesContent: Bool
    public var language: String
    /// The template it was rendered from (`<service|*>/<status|notice-...>/<channel>/<language>`).
    public var templateId: String
    public var subject: String?
    public var body: String
    /// SMS only: segments the body takes, and its encoding (`gsm7` or `ucs2`).
    public var smsSegments: Int?
    public var smsEncoding: String?
    /// Not to be sent before this time (quiet hours); nil means at once.
    public var notBefore: Date?
    /// The notice this one replaces after a permanent failure, and the channels tried so far.
    public var fallbackFrom: UUID?
    public var triedChannels: [NotifyChannel]
    /// The request that caused it (its id is the causing event's id).
    public var request: NotificationRequest
    public var createdAt: Date

    public init(notificationId: UUID, channel: NotifyChannel, recipientKey: String, role: RecipientRole, to: [String],
                messageClass: MessageClass, carriesContent: Bool, language: String, templateId: String, subject: String?, body: String,
                smsSegments: Int? = nil, smsEncoding: String? = nil, notBefore: Date? = nil, fallbackFrom: UUID? = nil,
                triedChannels: [NotifyChannel] = [], request: NotificationRequest, createdAt: Date) {
        self.notificationId = notificationId
        self.channel = channel
        self.recipientKey = recipientKey
        self.role = role
        self.to = to
        self.messageClass = messageClass
        self.carriesContent = carriesContent
        self.language = language
        self.templateId = templateId
        self.subject = subject
        self.body = body
        self.smsSegments = smsSegments
        self.smsEncoding = smsEncoding
        self.notBefore = notBefore
        self.fallbackFrom = fallbackFrom
        self.triedChannels = triedChannels
        self.request = request
        self.createdAt = createdAt
    }
}

public enum RecipientRole: String, Codable, Sendable, Hashable {
    case client
    case representative
}

/// What happened to a notification, on `notify.receipts`, keyed by the
/// recipient's pseudonym. The fan-out writes `created` (or `undeliverable`,
/// `fallback`); channel workers add `sending`, `delivered`,
/// `temporary-failure`, `permanent-failure` and `technical-failure`
/// (GOV.UK Notify's words).
public struct NotificationReceipt: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        case created
        /// No notice could be made: no profile, no usable channel. Not an error.
        case undeliverable
        /// A permanent failure moved the notice to the next channel (`fallbackTo`).
        case fallback
        /// Held by the channel worker until the notice's `notBefore` (the client's quiet hours).
        case scheduled
        case sending
        case delivered
        case temporaryFailure = "temporary-failure"
        case permanentFailure = "permanent-failure"
        case technicalFailure = "technical-failure"
    }

    public var notificationId: UUID?
    public var status: Status
    public var channel: NotifyChannel?
    public var recipientKey: String
    public var requestId: UUID
    public var agency: String
    public var caseId: String
    public var messageClass: MessageClass
    /// Machine-readable reason, for `undeliverable`, `fallback` and failures (`no_profile`, `no_channel`, ...).
    public var reason: String?
    /// The gateway's own reference, from channel workers.
    public var gatewayReference: String?
    /// For `fallback`: the notice that replaces the failed one.
    public var fallbackTo: UUID?
    /// On `permanent-failure` from a channel worker: the notice that failed, so the fan-out can fall back.
    public var notice: Notice?
    /// Contacts the gateway says are no longer valid (push tokens of removed apps), as `ContactFingerprint`s,
    /// so whoever keeps the profile can drop them; the contacts themselves stay off the receipts.
    public var invalidContacts: [String]?
    public var at: Date

    public init(notificationId: UUID?, status: Status, channel: NotifyChannel?, recipientKey: String, requestId: UUID,
                agency: String, caseId: String, messageClass: MessageClass, reason: String? = nil, gatewayReference: String? = nil,
                fallbackTo: UUID? = nil, notice: Notice? = nil, invalidContacts: [String]? = nil, at: Date) {
        self.invalidContacts = invalidContacts
        self.notificationId = notificationId
        self.status = status
        self.channel = channel
        self.recipientKey = recipientKey
        self.requestId = requestId
        self.agency = agency
        self.caseId = caseId
        self.messageClass = messageClass
        self.reason = reason
        self.gatewayReference = gatewayReference
        self.fallbackTo = fallbackTo
        self.notice = notice
        self.at = at
    }
}

/// A message template under version control (`Topics/samples/notification-templates.json`),
/// loaded to the compacted `notify.templates`, keyed by its id.
public struct NotificationTemplate: Codable, Sendable, Hashable {
    /// A service ID, or `*` for every service.
    public var service: String
    /// A case status for content, or `notice-official` / `notice-informational` for content-free notices.
    public var purpose: String
    public var channel: NotifyChannel
    public var language: String
    /// E-address, e-mail and push title; nil for SMS.
    public var subject: String?
    /// Text with `{{placeholder}}`s.
    public var body: String

    public init(service: String, purpose: String, channel: NotifyChannel, language: String, subject: String?, body: String) {
        self.service = service
        self.purpose = purpose
        self.channel = channel
        self.language = language
        self.subject = subject
        self.body = body
    }

    public var id: String { Self.id(service: service, purpose: purpose, channel: channel, language: language) }

    public static func id(service: String, purpose: String, channel: NotifyChannel, language: String) -> String {
        "\(service)/\(purpose)/\(channel.rawValue)/\(language)"
    }

    /// The purpose of a content-free notice of `messageClass`.
    public static func noticePurpose(_ messageClass: MessageClass) -> String { "notice-\(messageClass.rawValue)" }
}

extension Notice: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("body", body)
            json.member("carriesContent", carriesContent)
            json.member("channel", channel)
            json.member("createdAt", createdAt)
            json.member("fallbackFrom", fallbackFrom)
            json.member("language", language)
            json.member("messageClass", messageClass)
            json.member("notBefore", notBefore)
            json.member("notificationId", notificationId)
            json.member("recipientKey", recipientKey)
            json.member("request", request)
            json.member("role", role)
            json.member("smsEncoding", smsEncoding)
            json.member("smsSegments", smsSegments)
            json.member("subject", subject)
            json.member("templateId", templateId)
            json.key("to"); json.array(to) { $0.string($1) }
            json.key("triedChannels"); json.array(triedChannels) { $0.string($1.rawValue) }
        }
    }
}

extension NotificationReceipt: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("agency", agency)
            json.member("at", at)
            json.member("caseId", caseId)
            json.member("channel", channel)
            json.member("fallbackTo", fallbackTo)
            json.member("gatewayReference", gatewayReference)
            if let invalidContacts { json.key("invalidContacts"); json.array(invalidContacts) { $0.string($1) } }
            json.member("messageClass", messageClass)
            json.member("notice", notice)
            json.member("notificationId", notificationId)
            json.member("reason", reason)
            json.member("recipientKey", recipientKey)
            json.member("requestId", requestId)
            json.member("status", status)
        }
    }
}

/// A contact's fingerprint for receipts: `sha256:` and the first 16 hex digits of its SHA-256. Whoever
/// holds the profile recognises its own contacts by it; the bus does not learn the contact.
public enum ContactFingerprint {
    public static func of(_ contact: String) -> String {
        "sha256:" + SHA256.hash(Array(contact.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
