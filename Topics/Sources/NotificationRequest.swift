import Foundation

/// "Tell this client that this happened to their case": what status
/// ingestion (or any agency system) puts on `notify.requests`, keyed by the
/// client's pseudonym. It names the client only by that pseudonym; the
/// fan-out finds contacts and preferences in the client's profile.
public struct NotificationRequest: Codable, Sendable, Hashable {
    /// The causing event's id: one request per event, so replays de-duplicate.
    public var requestId: UUID
    /// `ClientPseudonym.key(for:secret:)` of the client.
    public var clientKey: String
    /// The representative's pseudonym, when one acts for the client.
    public var representativeKey: String?
    public var agency: String
    public var caseId: String
    public var serviceId: String
    public var status: CaseStatus
    public var step: String?
    public var messageClass: MessageClass
    public var occurredAt: Date
    /// Deep link to the case on the primary platform, from the event's result.
    public var link: String?

    public init(requestId: UUID, clientKey: String, representativeKey: String?, agency: String, caseId: String,
                serviceId: String, status: CaseStatus, step: String?, messageClass: MessageClass, occurredAt: Date, link: String?) {
        self.requestId = requestId
        self.clientKey = clientKey
        self.representativeKey = representativeKey
        self.agency = agency
        self.caseId = caseId
        self.serviceId = serviceId
        self.status = status
        self.step = step
        self.messageClass = messageClass
        self.occurredAt = occurredAt
        self.link = link
    }
}

extension NotificationRequest: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("agency", agency)
            json.member("caseId", caseId)
            json.member("clientKey", clientKey)
            json.member("link", link)
            json.member("messageClass", messageClass)
            json.member("occurredAt", occurredAt)
            json.member("representativeKey", representativeKey)
            json.member("requestId", requestId)
            json.member("serviceId", serviceId)
            json.member("status", status)
            json.member("step", step)
        }
    }
}

/// The fan-out's input read without `JSONDecoder` (a tenth of the fan-out's
/// time): the common, valid request; anything unusual (an unknown member, a
/// repeated one, a bad value) gives nil and `JSONDecoder` decides.
extension NotificationRequest: JSONReadable {
    public static func read(json: UnsafeRawBufferPointer) -> NotificationRequest? {
        var scanner = JSONScanner(json)
        guard let request = read(&scanner), scanner.atEnd() else { return nil }
        return request
    }

    /// One request object, where it stands (a notice carries its request).
    static func read(_ scanner: inout JSONScanner) -> NotificationRequest? {
        var requestId: UUID?, clientKey: String?, representativeKey: String??, agency: String?, caseId: String?, serviceId: String?
        var status: CaseStatus?, step: String??, messageClass: MessageClass?, occurredAt: Date?, link: String??
        let complete = scanner.object { scanner, key in
            switch key {
            case "requestId":
                guard requestId == nil, let value = scanner.uuid() else { return false }
                requestId = value
            case "clientKey":
                guard clientKey == nil, let value = scanner.string() else { return false }
                clientKey = value
            case "representativeKey":
                guard representativeKey == nil, let value = scanner.optional({ $0.string() }) else { return false }
                representativeKey = value
            case "agency":
                guard agency == nil, let value = scanner.string() else { return false }
                agency = value
            case "caseId":
                guard caseId == nil, let value = scanner.string() else { return false }
                caseId = value
            case "serviceId":
                guard serviceId == nil, let value = scanner.string() else { return false }
                serviceId = value
            case "status":
                guard status == nil, let value = scanner.string().flatMap(CaseStatus.init(rawValue:)) else { return false }
                status = value
            case "step":
                guard step == nil, let value = scanner.optional({ $0.string() }) else { return false }
                step = value
            case "messageClass":
                guard messageClass == nil, let value = scanner.string().flatMap(MessageClass.init(rawValue:)) else { return false }
                messageClass = value
            case "occurredAt":
                guard occurredAt == nil, let value = scanner.timestamp() else { return false }
                occurredAt = value
            case "link":
                guard link == nil, let value = scanner.optional({ $0.string() }) else { return false }
                link = value
            default:
                return false
            }
            return true
        }
        guard complete, let requestId, let clientKey, let agency, let caseId, let serviceId, let status,
              let messageClass, let occurredAt else { return nil }
        return NotificationRequest(requestId: requestId, clientKey: clientKey, representativeKey: representativeKey ?? nil, agency: agency,
                                   caseId: caseId, serviceId: serviceId, status: status, step: step ?? nil, messageClass: messageClass,
                                   occurredAt: occurredAt, link: link ?? nil)
    }
}
