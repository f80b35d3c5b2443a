import Foundation
import Topics

/// The fan-out's rules, without Kafka: who is told (the client, the
/// representatives the profile names, the one acting in the case), on which
/// channels, with or without content, when, and in which words.
///
/// - official: the content to the e-address; a content-free notice on the
///   first preferred other channel;
/// - informational: the content on the first preferred channel that may
///   carry it (the e-address, or one the client consented to); else a
///   content-free notice on the first preferred channel;
/// - no profile: official to the e-address alone; informational is
///   undeliverable (`no_profile`);
/// - quiet hours hold every notice but e-address delivery until they end.
public struct NoticeRouter: Sendable {
    public struct Settings: Sendable, Hashable {
        /// SMS longer than this many segments is cut to fit.
        public var smsMaxSegments: Int
        /// Whether a permanently failed notice moves to the next preferred channel, per message class.
        public var fallback: [MessageClass: Bool]
        public init(smsMaxSegments: Int = 3, fallback: [MessageClass: Bool] = [.official: true, .informational: true]) {
            self.smsMaxSegments = smsMaxSegments
            self.fallback = fallback
        }
    }

    /// Why a request cannot be turned into notices: it goes to the dead-letter topic with this code.
    public struct Failure: Error, Sendable, Hashable {
        /// `missing_template`, `missing_placeholder` or `invalid_template`.
        public let code: String
        public let message: String
    }

    /// The notices one request (or one fallback) makes, and the receipts that record them.
    public struct FanOut: Sendable, Hashable {
        public var notices: [Notice] = []
        public var receipts: [NotificationReceipt] = []
    }

    public var templates: TemplateBook
    public var services: [String: ServiceDefinition]
    public var settings: Settings

    public init(templates: TemplateBook, services: [String: ServiceDefinition], settings: Settings = Settings()) {
        self.templates = templates
        self.services = services
        self.settings = settings
    }

    /// The same request, recipient and channel always give the same id: replays de-duplicate.
    public static func notificationId(request: UUID, recipient: String, channel: NotifyChannel) -> UUID {
        let digest = SHA256.hash(Array("\(request.lowercasedString)|\(recipient)|\(channel.rawValue)".utf8))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 layout (name-based)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    public func route(_ request: NotificationRequest, profiles: (String) -> ClientProfile?, now: Date) throws(Failure) -> FanOut {
        let clientProfile = profiles(request.clientKey)
        var recipients: [(key: String, role: RecipientRole)] = [(request.clientKey, .client)]
        for key in (clientProfile?.representatives ?? []) + (request.representativeKey.map { [$0] } ?? [])
        where !recipients.contains(where: { $0.key == key }) {
            recipients.append((key, .representative))
        }
        var fanOut = FanOut()
        for recipient in recipients {
            let profile = recipient.role == .client ? clientProfile : profiles(recipient.key)
            switch plan(request.messageClass, profile: profile) {
            case .undeliverable(let reason):
                fanOut.receipts.append(receipt(.undeliverable, request: request, recipient: recipient.key, channel: nil, id: nil,
                                               reason: reason, at: now))
            case .deliveries(let deliveries):
                for delivery in deliveries {
                    let notice = try make(request, recipient: recipient.key, role: recipient.role, profile: profile, channel: delivery.channel,
                                          carriesContent: delivery.carriesContent, tried: [], fallbackFrom: nil, now: now)
                    fanOut.notices.append(notice)
                    fanOut.receipts.append(receipt(.created, request: request, recipient: recipient.key, channel: notice.channel,
                                                   id: notice.notificationId, at: now))
                }
            }
        }
        return fanOut
    }

    /// After a channel worker reports `failed` permanently: the same notice on
    /// the next preferred channel not tried yet, or undeliverable. The
    /// e-address delivery of an official message never moves to an insecure channel.
    public func fallback(from failed: Notice, profile: ClientProfile?, now: Date) throws(Failure) -> FanOut {
        let request = failed.request
        var fanOut = FanOut()
        let tried = failed.triedChannels + [failed.channel]
        let officialDelivery = failed.messageClass == .official && failed.channel == .eaddress && failed.carriesContent
        let next = (settings.fallback[failed.messageClass] ?? false) && !officialDelivery
            ? profile.flatMap { profile in usableChannels(profile).first { !tried.contains($0) } } : nil
        guard let next, let profile else {
            fanOut.receipts.append(receipt(.undeliverable, request: request, recipient: failed.recipientKey, channel: failed.channel,
                                           id: failed.notificationId, reason: officialDelivery ? "eaddress_failed" : "no_fallback", at: now))
            return fanOut
        }
        let content = failed.carriesContent && mayCarryContent(next, profile: profile)
        let notice = try make(request, recipient: failed.recipientKey, role: failed.role, profile: profile, channel: next,
                              carriesContent: content, tried: tried, fallbackFrom: failed.notificationId, now: now)
        fanOut.notices.append(notice)
        var moved = receipt(.fallback, request: request, recipient: failed.recipientKey, channel: failed.channel, id: failed.notificationId,
                            reason: "permanent_failure", at: now)
        moved.fallbackTo = notice.notificationId
        fanOut.receipts.append(moved)
        fanOut.receipts.append(receipt(.created, request: request, recipient: failed.recipientKey, channel: next, id: notice.notificationId, at: now))
        return fanOut
    }

    // MARK: - Channels

    enum Plan: Equatable {
        case deliveries([Delivery])
        case undeliverable(String)
    }

    struct Delivery: Equatable {
        let channel: NotifyChannel
        let carriesContent: Bool
    }

    func plan(_ messageClass: MessageClass, profile: ClientProfile?) -> Plan {
        guard let profile else {
            return messageClass == .official ? .deliveries([Delivery(channel: .eaddress, carriesContent: true)]) : .undeliverable("no_profile")
        }
        let usable = usableChannels(profile)
        switch messageClass {
        case .official:
            // Official delivery goes to an activated e-address whatever the preference list says.
            guard profile.contacts.eAddress, !profile.optOuts.contains(.eaddress) else { return .undeliverable("no_eaddress") }
            var deliveries = [Delivery(channel: .eaddress, carriesContent: true)]
            if let other = usable.first(where: { $0 != .eaddress }) { deliveries.append(Delivery(channel: other, carriesContent: false)) }
            return .deliveries(deliveries)
        case .informational:
            if let content = usable.first(where: { mayCarryContent($0, profile: profile) }) {
                return .deliveries([Delivery(channel: content, carriesContent: true)])
            }
            guard let first = usable.first else { return .undeliverable("no_channel") }
            return .deliveries([Delivery(channel: first, carriesContent: false)])
        }
    }

    /// The client's channels in order of preference, without opt-outs and channels it has no contact on.
    func usableChannels(_ profile: ClientProfile) -> [NotifyChannel] {
        var seen = Set<NotifyChannel>()
        return profile.channels.filter { channel in
            !profile.optOuts.contains(channel) && profile.addresses(for: channel) != nil && seen.insert(channel).inserted
        }
    }

    func mayCarryContent(_ channel: NotifyChannel, profile: ClientProfile) -> Bool {
        channel.isSecure || profile.contentConsent.contains(channel)
    }

    // MARK: - Rendering

    func make(_ request: NotificationRequest, recipient: String, role: RecipientRole, profile: ClientProfile?, channel: NotifyChannel,
              carriesContent: Bool, tried: [NotifyChannel], fallbackFrom: UUID?, now: Date) throws(Failure) -> Notice {
        let language = profile?.language ?? "lv"
        let purpose = carriesContent ? request.status.rawValue : NotificationTemplate.noticePurpose(request.messageClass)
        guard let template = templates.find(service: request.serviceId, purpose: purpose, channel: channel, language: language) else {
            throw Failure(code: "missing_template", message: "no template for \(request.serviceId)/\(purpose)/\(channel.rawValue)/\(language), nor a * default")
        }
        let values = placeholderValues(request, language: template.language)
        func fill(_ text: String) throws(Failure) -> String {
            do { return try TemplateRenderer.render(text, values: values) } catch {
                switch error {
                case .missingPlaceholder(let name):
                    throw Failure(code: "missing_placeholder", message: "template \(template.id) uses {{\(name)}}, which this request has no value for")
                case .malformed:
                    throw Failure(code: "invalid_template", message: "template \(template.id) has unbalanced {{ }}")
                }
            }
        }
        var body = try fill(template.body)
        let subject = try template.subject.map { (subject) throws(Failure) in try fill(subject) }
        var segments: Int?, encoding: String?
        if channel == .sms {
            let sms = SMSText(body).capped(toSegments: settings.smsMaxSegments)
            body = sms.text
            segments = sms.segments
            encoding = sms.encoding.rawValue
        }
        // Without a profile only the e-address is used, and it is addressed by the recipient key.
        let to = profile?.addresses(for: channel) ?? [recipient]
        let notBefore = channel == .eaddress ? nil : profile?.quietHours.flatMap { LatvianTime.endOfQuiet($0, at: now) }
        return Notice(notificationId: Self.notificationId(request: request.requestId, recipient: recipient, channel: channel),
                      channel: channel, recipientKey: recipient, role: role, to: to, messageClass: request.messageClass,
                      carriesContent: carriesContent, language: template.language, templateId: template.id, subject: subject, body: body,
                      smsSegments: segments, smsEncoding: encoding, notBefore: notBefore, fallbackFrom: fallbackFrom, triedChannels: tried,
                      request: request, createdAt: now)
    }

    /// `serviceName`, `agency`, `caseId`, `status`, `date` always; `step` and `link` when the request has them.
    func placeholderValues(_ request: NotificationRequest, language: String) -> [String: String] {
        let service = services[request.serviceId]
        var values = [
            "serviceName": service.map { language == "lv" ? $0.names.lv : $0.names.en ?? $0.names.lv } ?? request.serviceId,
            "agency": request.agency,
            "caseId": request.caseId,
            "status": Self.statusWords[language]?[request.status] ?? request.status.rawValue,
            "date": LatvianTime.dateText(request.occurredAt),
        ]
        if let code = request.step {
            let step = service?.steps.first { $0.code == code }
            values["step"] = step.map { language == "lv" ? $0.names.lv : $0.names.en ?? $0.names.lv } ?? code
        }
        values["link"] = request.link
        return values
    }

    static let statusWords: [String: [CaseStatus: String]] = [
        "lv": [.submitted: "iesniegts", .accepted: "pieņemts izskatīšanai", .inProgress: "tiek izskatīts",
               .waitingForClient: "gaida Jūsu rīcību", .completed: "pabeigts", .refused: "atteikts", .withdrawn: "atsaukts"],
        "en": [.submitted: "submitted", .accepted: "accepted for review", .inProgress: "in progress",
               .waitingForClient: "waiting for you", .completed: "completed", .refused: "refused", .withdrawn: "withdrawn"],
    ]

    func receipt(_ status: NotificationReceipt.Status, request: NotificationRequest, recipient: String, channel: NotifyChannel?, id: UUID?,
                 reason: String? = nil, at: Date) -> NotificationReceipt {
        NotificationReceipt(notificationId: id, status: status, channel: channel, recipientKey: recipient, requestId: request.requestId,
                            agency: request.agency, caseId: request.caseId, messageClass: request.messageClass, reason: reason, at: at)
    }
}
