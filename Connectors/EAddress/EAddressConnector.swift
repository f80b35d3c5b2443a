import ChannelDelivery
import Foundation
import GatewayHTTP
import Topics

/// Delivers official messages to the e-address through the delivery API in
/// docs/connectors/eaddress.md: `POST /v1/messages` with the notification id
/// as `messageId` (the API answers a repeat with the first answer),
/// `POST /v1/messages/status` to confirm many deliveries in one call, and
/// `GET /v1/messages/status` to ask about one (after a crash).
public struct EAddressConnector: ChannelConnector {
    public let channel = NotifyChannel.eaddress
    public let canConfirm = true
    /// Ids per batch status query (the API takes up to 500): one call settles this many accepted messages.
    public let statusBatchLimit = 100
    public let baseURL: URL
    /// Sent as `Authorization: Bearer …` when set.
    public let token: String?
    /// Who the messages are from (the sending institution's code).
    public let sender: String
    public let timeout: Duration
    private let http: CurlHTTPClient
    /// Targets, spelled once: building them from `baseURL` per call showed at thousands a second.
    private let messagesURL: String, statusURL: String

    /// `connections`: requests in flight at once (the worker's `inFlight`).
    public init(baseURL: URL, sender: String, token: String? = nil, timeout: Duration = .seconds(10), connections: Int = 8) {
        self.baseURL = baseURL
        self.sender = sender
        self.token = token
        self.timeout = timeout
        http = CurlHTTPClient(connections: connections, timeout: timeout)
        messagesURL = baseURL.appendingPathComponent("v1/messages").absoluteString
        statusURL = baseURL.appendingPathComponent("v1/messages/status").absoluteString
    }

    struct Submission: JSONWritable {
        let messageId: String, sender: String, recipient: String, subject: String, body: String
        let attachments: [(name: String, uri: String)]

        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.key("attachments")
                json.array(attachments) { json, attachment in
                    json.object { json in
                        json.member("name", attachment.name)
                        json.member("uri", attachment.uri)
                    }
                }
                json.member("body", body)
                json.member("messageId", messageId)
                json.member("recipient", recipient)
                json.member("sender", sender)
                json.member("subject", subject)
            }
        }
    }

    /// One decoder for every answer: making one per call shows at thousands a second.
    private static let decoder = JSONDecoder()

    struct Answer: Decodable {
        var messageId: String?
        let reference: String
        let status: String
        let deliveredAt: String?

        /// Reads an answer: by hand when it holds only the API's own fields,
        /// else with `JSONDecoder` (which also takes fields the API may add).
        static func read(_ body: [UInt8]) -> Answer? {
            if let answer = body.withUnsafeBytes(scan) { return answer }
            return try? decoder.decode(Answer.self, from: Data(body))
        }

        private static func scan(_ json: UnsafeRawBufferPointer) -> Answer? {
            var scanner = JSONScanner(json)
            guard let answer = scan(&scanner), scanner.atEnd() else { return nil }
            return answer
        }

        /// One answer object at the scanner's position.
        static func scan(_ scanner: inout JSONScanner) -> Answer? {
            var messageId: String?, reference: String?, status: String?, deliveredAt: String??
            let complete = scanner.object { scanner, key in
                switch key {
                case "messageId": messageId = scanner.string(); return messageId != nil
                case "reference": reference = scanner.string(); return reference != nil
                case "status": status = scanner.string(); return status != nil
                case "deliveredAt": deliveredAt = scanner.optional { $0.string() }; return deliveredAt != nil
                case "acceptedAt": return scanner.string() != nil
                default: return false
                }
            }
            guard complete, let reference, let status else { return nil }
            return Answer(messageId: messageId, reference: reference, status: status, deliveredAt: deliveredAt ?? nil)
        }

        /// What it says of the message: delivered (or read), else accepted.
        var outcome: GatewayOutcome {
            if status == "delivered" || status == "read" {
                return .delivered(reference: reference, at: deliveredAt.flatMap(RFC3339Timestamp.parse) ?? Date())
            }
            return .accepted(reference: reference)
        }
    }

    /// A batch status query's answer: `{"messages":[…]}`.
    struct StatusAnswer: Decodable {
        let messages: [Answer]

        static func read(_ body: [UInt8]) -> [Answer]? {
            let scanned = body.withUnsafeBytes { json -> [Answer]? in
                var scanner = JSONScanner(json)
                var messages: [Answer]?
                let complete = scanner.object { scanner, key in
                    guard key == "messages", messages == nil else { return false }
                    var list: [Answer] = []
                    guard scanner.array({ scanner in
                        guard let answer = Answer.scan(&scanner) else { return false }
                        list.append(answer)
                        return true
                    }) else { return false }
                    messages = list
                    return true
                }
                guard complete, scanner.atEnd() else { return nil }
                return messages
            }
            return scanned ?? (try? decoder.decode(StatusAnswer.self, from: Data(body)))?.messages
        }
    }

    struct StatusQuery: JSONWritable {
        let ids: [UUID]
        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.key("messageIds")
                json.array(ids) { json, id in json.string(id.lowercasedString) }
            }
        }
    }

    public func send(_ notice: Notice) async -> GatewayOutcome {
        let submission = Submission(messageId: notice.notificationId.lowercasedString, sender: notice.request.agency.isEmpty ? sender : notice.request.agency,
                                    recipient: notice.to.first ?? notice.recipientKey, subject: notice.subject ?? notice.templateId,
                                    body: notice.body, attachments: notice.request.link.map { [(name: "lieta", uri: $0)] } ?? [])
        let body = JSONWriter.encode(submission)
        return await exchange(.init(method: "POST", url: messagesURL,
                                    headers: [("Content-Type", "application/json")], body: body))
    }

    /// Asks about up to `statusBatchLimit` messages in one `POST /v1/messages/status`; a failed call says nothing (empty).
    public func statuses(of notificationIds: [UUID]) async -> [UUID: GatewayOutcome] {
        guard !notificationIds.isEmpty else { return [:] }
        var known: [UUID: GatewayOutcome] = [:]
        for start in stride(from: 0, to: notificationIds.count, by: statusBatchLimit) {
            let ids = Array(notificationIds[start ..< min(notificationIds.count, start + statusBatchLimit)])
            let request = authorized(.init(method: "POST", url: statusURL, headers: [("Content-Type", "application/json")],
                                           body: JSONWriter.encode(StatusQuery(ids: ids))))
            guard case .success(let answer) = await http.perform(request), answer.status == 200,
                  let messages = StatusAnswer.read(answer.body) else { continue }
            for message in messages {
                guard let id = message.messageId.flatMap(UUID.init(uuidString:)) else { continue }
                known[id] = message.outcome
            }
        }
        return known
    }

    public func status(of notificationId: UUID) async -> GatewayOutcome? {
        // A lowercase UUID needs no escaping in a query.
        let outcome = await exchange(.init(url: statusURL + "?messageId=" + notificationId.lowercasedString))
        if case .permanent(code: "http_404", _) = outcome { return nil }
        return outcome
    }

    /// The request with the bearer token, when one is configured.
    private func authorized(_ request: CurlHTTPClient.Request) -> CurlHTTPClient.Request {
        guard let token else { return request }
        var request = request
        request.headers.append(("Authorization", "Bearer \(token)"))
        return request
    }

    private func exchange(_ request: CurlHTTPClient.Request) async -> GatewayOutcome {
        switch await http.perform(authorized(request)) {
        case .failure(.timedOut):
            return .temporary(code: "timeout", message: "the mailbox did not answer within \(timeout)")
        case .failure(let error):
            return .temporary(code: "unreachable", message: "no answer from the mailbox: \(error)")
        case .success(let answer):
            let status = answer.status
            switch status {
            case 200 ..< 300:
                guard let parsed = Answer.read(answer.body) else {
                    return .temporary(code: "bad_answer", message: "the mailbox answered \(status) without a readable body")
                }
                return parsed.outcome
            case 408, 429, 500 ..< 600:
                return .temporary(code: "http_\(status)", message: "the mailbox answered \(status)")
            default:
                return .permanent(code: "http_\(status)", message: "the mailbox refused the message (\(status))")
            }
        }
    }
}
