import ChannelDelivery
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Topics

/// Delivers official messages to the e-address through the delivery API in
/// docs/connectors/eaddress.md: `POST /v1/messages` with the notification id
/// as `messageId` (the API answers a repeat with the first answer), and
/// `GET /v1/messages/status` to confirm delivery.
public struct EAddressConnector: ChannelConnector {
    public let channel = NotifyChannel.eaddress
    public let canConfirm = true
    public let baseURL: URL
    /// Sent as `Authorization: Bearer …` when set.
    public let token: String?
    /// Who the messages are from (the sending institution's code).
    public let sender: String
    public let timeout: Duration
    private let session: URLSession

    public init(baseURL: URL, sender: String, token: String? = nil, timeout: Duration = .seconds(10)) {
        self.baseURL = baseURL
        self.sender = sender
        self.token = token
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeout.components.seconds)
        session = URLSession(configuration: configuration)
    }

    struct Submission: Encodable {
        let messageId: String, sender: String, recipient: String, subject: String, body: String
        let attachments: [[String: String]]
    }

    struct Answer: Decodable {
        let reference: String
        let status: String
        let deliveredAt: String?
    }

    public func send(_ notice: Notice) async -> GatewayOutcome {
        let submission = Submission(messageId: notice.notificationId.lowercasedString, sender: notice.request.agency.isEmpty ? sender : notice.request.agency,
                                    recipient: notice.to.first ?? notice.recipientKey, subject: notice.subject ?? notice.templateId,
                                    body: notice.body, attachments: notice.request.link.map { [["name": "lieta", "uri": $0]] } ?? [])
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/messages"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONEncoder().encode(submission)
        return await exchange(request)
    }

    public func status(of notificationId: UUID) async -> GatewayOutcome? {
        var components = URLComponents(url: baseURL.appendingPathComponent("v1/messages/status"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "messageId", value: notificationId.lowercasedString)]
        let outcome = await exchange(URLRequest(url: components.url!))
        if case .permanent(code: "http_404", _) = outcome { return nil }
        return outcome
    }

    private func exchange(_ request: URLRequest) async -> GatewayOutcome {
        var request = request
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            switch status {
            case 200 ..< 300:
                guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
                    return .temporary(code: "bad_answer", message: "the mailbox answered \(status) without a readable body")
                }
                if answer.status == "delivered" || answer.status == "read" {
                    let at = answer.deliveredAt.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
                    return .delivered(reference: answer.reference, at: at)
                }
                return .accepted(reference: answer.reference)
            case 408, 429, 500 ..< 600:
                return .temporary(code: "http_\(status)", message: "the mailbox answered \(status)")
            default:
                return .permanent(code: "http_\(status)", message: "the mailbox refused the message (\(status))")
            }
        } catch {
            return .temporary(code: "unreachable", message: "no answer from the mailbox: \((error as NSError).localizedDescription)")
        }
    }
}
