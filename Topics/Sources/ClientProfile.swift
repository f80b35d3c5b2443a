import Foundation

/// How a client wants to hear from the state: on `clients.profiles`,
/// compacted, keyed by the client's pseudonym (`ClientPseudonym`), never
/// by a person code. Its contacts are the personal data the bus carries.
public struct ClientProfile: Codable, Sendable, Hashable {
    /// `ClientPseudonym.key(for:secret:)` of the person or company.
    public var clientKey: String
    /// Channels in order of preference.
    public var channels: [NotifyChannel]
    public var contacts: Contacts
    /// `lv`, `en` or `ru`; notices fall back to `lv` where a template lacks the language.
    public var language: String
    /// Insecure channels (SMS, e-mail, push) the client agreed to receive content on.
    public var contentConsent: Set<NotifyChannel>
    /// Informational notices wait until this period ends (Latvian local time).
    public var quietHours: QuietHours?
    /// Pseudonyms of representatives and mandate holders who also receive the client's notices.
    public var representatives: [String]
    /// Channels the client turned off.
    public var optOuts: Set<NotifyChannel>
    public var updatedAt: Date

    public struct Contacts: Codable, Sendable, Hashable {
        public var phone: String?
        public var email: String?
        public var pushTokens: [String]
        /// Whether the client's official e-address is activated.
        public var eAddress: Bool

        public init(phone: String? = nil, email: String? = nil, pushTokens: [String] = [], eAddress: Bool = true) {
            self.phone = phone
            self.email = email
            self.pushTokens = pushTokens
            self.eAddress = eAddress
        }
    }

    public init(clientKey: String, channels: [NotifyChannel], contacts: Contacts, language: String = "lv",
                contentConsent: Set<NotifyChannel> = [], quietHours: QuietHours? = nil, representatives: [String] = [],
                optOuts: Set<NotifyChannel> = [], updatedAt: Date = Date()) {
        self.clientKey = clientKey
        self.channels = channels
        self.contacts = contacts
        self.language = language
        self.contentConsent = contentConsent
        self.quietHours = quietHours
        self.representatives = representatives
        self.optOuts = optOuts
        self.updatedAt = updatedAt
    }

    /// Where a notice on `channel` goes (the e-address by the client's key;
    /// every device token for push); nil when the client has no contact there.
    public func addresses(for channel: NotifyChannel) -> [String]? {
        let found: [String]
        switch channel {
        case .eaddress: found = contacts.eAddress ? [clientKey] : []
        case .sms: found = contacts.phone.map { [$0] } ?? []
        case .email: found = contacts.email.map { [$0] } ?? []
        case .push: found = contacts.pushTokens
        }
        return found.isEmpty ? nil : found
    }
}

/// A daily quiet period in Latvian local time, `22:00`-`08:00` (may wrap midnight).
public struct QuietHours: Codable, Sendable, Hashable {
    /// Minutes after local midnight.
    public var startMinute: Int
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// `"22:00-08:00"`; nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = Self.minute(parts[0]), let end = Self.minute(parts[1]), start != end else { return nil }
        self.init(startMinute: start, endMinute: end)
    }

    private static func minute(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        return hour * 60 + minute
    }

    public var text: String {
        func clock(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }
        return "\(clock(startMinute))-\(clock(endMinute))"
    }
}
