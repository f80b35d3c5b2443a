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
