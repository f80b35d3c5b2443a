import Foundation
import HubLogging
import HubRuntime
import Kafka
import Notifications
import Topics

/// Loads templates and client profiles onto their compacted topics.
public enum NotificationPublisher {
    /// The templates shipped with the hub (lv and en for every notifying transition of the sample catalogue).
    public static func sampleTemplates() -> URL? { SampleFiles.find("notification-templates.json") }

    /// Reads and checks a templates file: no id twice, balanced braces, only placeholders every request has.
    public static func templates(in file: URL) throws -> [NotificationTemplate] {
        let templates = try JSONDecoder().decode([NotificationTemplate].self, from: Data(contentsOf: file))
        var seen = Set<String>()
        for template in templates {
            guard seen.insert(template.id).inserted else { throw TemplateFileError(message: "template \(template.id) is defined twice") }
            for text in [template.body] + (template.subject.map { [$0] } ?? []) {
                do { _ = try TemplateRenderer.render(text, values: Self.anyValue(for: text)) } catch {
                    throw TemplateFileError(message: "template \(template.id) has unbalanced {{ }}")
                }
                for name in TemplateRenderer.placeholders(in: text) where !Self.placeholders.contains(name) {
                    throw TemplateFileError(message: "template \(template.id) uses {{\(name)}}; known: \(Self.placeholders.sorted().joined(separator: ", "))")
                }
            }
        }
        return templates
    }

    /// Every placeholder a template may use (`step` and `link` only where the request has them).
    public static let placeholders: Set<String> = ["serviceName", "agency", "caseId", "status", "date", "step", "link"]

    private static func anyValue(for text: String) -> [String: String] {
        Dictionary(TemplateRenderer.placeholders(in: text).map { ($0, "x") }, uniquingKeysWith: { a, _ in a })
    }

    public static func publish(templates: [NotificationTemplate], client: KafkaClientProperties, logger: Logger) async throws -> Int {
        try await send(templates.map { (HubTopics.notifyTemplates.name, $0.id, try RecordJSON.encode($0)) }, client: client, logger: logger)
    }

    public static func publish(profiles: [ClientProfile], client: KafkaClientProperties, logger: Logger) async throws -> Int {
        try await send(profiles.map { (HubTopics.clientsProfiles.name, $0.clientKey, try RecordJSON.encode($0)) }, client: client, logger: logger)
    }

    /// Forgets a client: a tombstone on `clients.profiles` (compaction then removes the contacts).
    public static func forget(clientKey: String, client: KafkaClientProperties, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.send(KafkaProducerRecord(topic: HubTopics.clientsProfiles.name, key: Array(clientKey.utf8), value: nil))
        await producer.close()
    }

    private static func send(_ values: [(topic: String, key: String, value: Data)], client: KafkaClientProperties, logger: Logger) async throws -> Int {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(values.map { KafkaProducerRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value)) })
        await producer.close()
        return values.count
    }
}

public struct TemplateFileError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A client profile as an operator or a registry export writes it: with the
/// person code or company number, which never leaves this process. It
/// becomes a `ClientProfile` keyed by the pseudonym.
public struct ProfileInput: Codable, Sendable {
    public var person: String?
    public var company: String?
    public var channels: [NotifyChannel]
    public var phone: String?
    public var email: String?
    public var pushTokens: [String]?
    public var eAddress: Bool?
    public var language: String?
    public var consent: [NotifyChannel]?
    public var quietHours: String?
    public var representatives: [ProfileParty]?
    public var optOuts: [NotifyChannel]?

    public struct ProfileParty: Codable, Sendable {
        public var person: String?
        public var company: String?
        public init(person: String? = nil, company: String? = nil) {
            self.person = person
            self.company = company
        }
    }

    public init(person: String? = nil, company: String? = nil, channels: [NotifyChannel], phone: String? = nil, email: String? = nil,
                pushTokens: [String]? = nil, eAddress: Bool? = nil, language: String? = nil, consent: [NotifyChannel]? = nil,
                quietHours: String? = nil, representatives: [ProfileParty]? = nil, optOuts: [NotifyChannel]? = nil) {
        self.person = person
        self.company = company
        self.channels = channels
        self.phone = phone
        self.email = email
        self.pushTokens = pushTokens
        self.eAddress = eAddress
        self.language = language
        self.consent = consent
        self.quietHours = quietHours
        self.representatives = representatives
        self.optOuts = optOuts
    }

    public static func key(person: String?, company: String?, secret: String) throws -> String {
        switch (person, company) {
        case (let person?, nil): return ClientPseudonym.key(for: PartyReference(type: .person, id: person), secret: secret)
        case (nil, let company?): return ClientPseudonym.key(for: PartyReference(type: .company, id: company), secret: secret)
        default: throw ProfileInputError(message: "a profile names either a person or a company")
        }
    }

    public func profile(secret: String, now: Date = Date()) throws -> ClientProfile {
        let quiet = try quietHours.map { text in
            guard let parsed = QuietHours(parsing: text) else { throw ProfileInputError(message: "quiet hours '\(text)' must look like 22:00-08:00") }
            return parsed
        }
        let language = language ?? "lv"
        guard ["lv", "en", "ru"].contains(language) else { throw ProfileInputError(message: "language must be lv, en or ru") }
        let consent = Set(consent ?? [])
        if consent.contains(.eaddress) { throw ProfileInputError(message: "consent is for insecure channels (sms, email, push); the e-address needs none") }
        return ClientProfile(
            clientKey: try Self.key(person: person, company: company, secret: secret), channels: channels,
            contacts: .init(phone: phone, email: email, pushTokens: pushTokens ?? [], eAddress: eAddress ?? true), language: language,
            contentConsent: consent, quietHours: quiet,
            representatives: try (representatives ?? []).map { try Self.key(person: $0.person, company: $0.company, secret: secret) },
            optOuts: Set(optOuts ?? []), updatedAt: now)
    }
}

public struct ProfileInputError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
