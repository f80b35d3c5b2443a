import Foundation

/// The channel workers' input read without `JSONDecoder` (about a twentieth
/// of a worker's time per notice): the common, valid notice; anything
/// unusual (an unknown member, a repeated one, a bad value) gives nil and
/// `JSONDecoder` decides. `JSONReaderEquivalenceTests` holds the two paths equal.
extension Notice: JSONReadable {
    public static func read(json: UnsafeRawBufferPointer) -> Notice? {
        var scanner = JSONScanner(json)
        guard let notice = read(&scanner), scanner.atEnd() else { return nil }
        return notice
    }

    /// One notice object, where it stands (a `permanent-failure` receipt carries its notice).
    static func read(_ scanner: inout JSONScanner) -> Notice? {
        var notificationId: UUID?, channel: NotifyChannel?, recipientKey: String?, role: RecipientRole?, to: [String]?
        var messageClass: MessageClass?, carriesContent: Bool?, language: String?, templateId: String?, subject: String??, body: String?
        var smsSegments: Int??, smsEncoding: String??, notBefore: Date??, fallbackFrom: UUID??, triedChannels: [NotifyChannel]?
        var request: NotificationRequest?, createdAt: Date?
        let complete = scanner.object { scanner, key in
            switch key {
            case "notificationId":
                guard notificationId == nil, let value = scanner.uuid() else { return false }
                notificationId = value
            case "channel":
                guard channel == nil, let value = scanner.string().flatMap(NotifyChannel.init(rawValue:)) else { return false }
                channel = value
            case "recipientKey":
                guard recipientKey == nil, let value = scanner.string() else { return false }
                recipientKey = value
            case "role":
                guard role == nil, let value = scanner.string().flatMap(RecipientRole.init(rawValue:)) else { return false }
                role = value
            case "to":
                guard to == nil, let value = scanner.strings() else { return false }
                to = value
            case "messageClass":
                guard messageClass == nil, let value = scanner.string().flatMap(MessageClass.init(rawValue:)) else { return false }
                messageClass = value
            case "carriesContent":
                guard carriesContent == nil, let value = scanner.bool() else { return false }
                carriesContent = value
            case "language":
                guard language == nil, let value = scanner.string() else { return false }
                language = value
            case "templateId":
                guard templateId == nil, let value = scanner.string() else { return false }
                templateId = value
            case "subject":
                guard subject == nil, let value = scanner.optional({ $0.string() }) else { return false }
                subject = value
            case "body":
                guard body == nil, let value = scanner.string() else { return false }
                body = value
            case "smsSegments":
                guard smsSegments == nil, let value = scanner.optional({ $0.integer() }) else { return false }
                smsSegments = value
            case "smsEncoding":
                guard smsEncoding == nil, let value = scanner.optional({ $0.string() }) else { return false }
                smsEncoding = value
            case "notBefore":
                guard notBefore == nil, let value = scanner.optional({ $0.timestamp() }) else { return false }
                notBefore = value
            case "fallbackFrom":
                guard fallbackFrom == nil, let value = scanner.optional({ $0.uuid() }) else { return false }
                fallbackFrom = value
            case "triedChannels":
                guard triedChannels == nil, let texts = scanner.strings() else { return false }
                let value = texts.compactMap(NotifyChannel.init(rawValue:))
                guard value.count == texts.count else { return false }
                triedChannels = value
            case "request":
                guard request == nil, let value = NotificationRequest.read(&scanner) else { return false }
                request = value
            case "createdAt":
                guard createdAt == nil, let value = scanner.timestamp() else { return false }
                createdAt = value
            default:
                return false
            }
            return true
        }
        guard complete, let notificationId, let channel, let recipientKey, let role, let to, let messageClass,
              let carriesContent, let language, let templateId, let body, let triedChannels, let request, let createdAt else { return nil }
        return Notice(notificationId: notificationId, channel: channel, recipientKey: recipientKey, role: role, to: to,
                      messageClass: messageClass, carriesContent: carriesContent, language: language, templateId: templateId,
                      subject: subject ?? nil, body: body, smsSegments: smsSegments ?? nil, smsEncoding: smsEncoding ?? nil,
                      notBefore: notBefore ?? nil, fallbackFrom: fallbackFrom ?? nil, triedChannels: triedChannels,
                      request: request, createdAt: createdAt)
    }
}
