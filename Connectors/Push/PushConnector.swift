import ChannelDelivery
import Foundation
import GatewayHTTP
import Topics

/// Sends push notices through the push gateway API of docs/connectors/push.md
/// (the state app's notification service): one `POST /v1/push` per device
/// token with title, body, data and an idempotency key
/// (`<notification id>:<token index>`), which the gateway honours, so a
/// retry or a resend after a crash delivers nothing twice. `410` (app
/// removed) and `404` (unknown token) mark a token invalid: a notice with
/// some valid tokens is delivered and names the invalid ones; a notice with
/// none is a permanent failure that names them all, so the profile can be
/// cleaned and the fan-out can fall back.
public struct PushConnector: ChannelConnector {
    public let channel = NotifyChannel.push
    public let canConfirm = true
    public let baseURL: String
    public let apiKey: String?
    public let timeout: Duration
    private let http: CurlHTTPClient
    /// `POST` target, spelled once.
    private let pushURL: String

    public init(baseURL: String, apiKey: String? = nil, timeout: Duration = .seconds(10), connections: Int = 8) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        http = CurlHTTPClient(connections: connections, timeout: timeout)
        pushURL = self.baseURL + "/v1/push"
    }

    static func idempotencyKey(_ notificationId: UUID, token index: Int) -> String { "\(notificationId.lowercasedString):\(index)" }

    /// What one token's push came to.
    enum TokenResult: Equatable {
        case delivered(String)
        case invalid
        case temporary(code: String, message: String)
        case refused(code: String, message: String)
    }

    public func send(_ notice: Notice) async -> GatewayOutcome {
        guard !notice.to.isEmpty else { return .permanent(code: "no_token", message: "the notice names no device token") }
        var results: [TokenResult] = []
        for (index, token) in notice.to.enumerated() {
            results.append(await push(notice, token: token, key: Self.idempotencyKey(notice.notificationId, token: index)))
        }
        return Self.outcome(results, tokens: notice.to)
    }

    /// One outcome for the notice from its tokens' results: any temporary failure retries the notice
    /// (the idempotency keys make the tokens already done harmless to repeat).
    static func outcome(_ results: [TokenResult], tokens: [String]) -> GatewayOutcome {
        if let temporary = results.first(where: { if case .temporary = $0 { true } else { false } }), case .temporary(let code, let message) = temporary {
            return .temporary(code: code, message: message)
        }
        let delivered = results.compactMap { if case .delivered(let id) = $0 { id } else { nil } }
        let invalid = zip(results, tokens).filter { $0.0 == .invalid }.map(\.1)
        if !delivered.isEmpty {
            let reference = delivered.joined(separator: ",")
            return invalid.isEmpty ? .delivered(reference: reference, at: Date()) : .partlyDelivered(reference: reference, at: Date(), invalidContacts: invalid)
        }
        if invalid.count == tokens.count { return .contactsInvalid(contacts: invalid, message: "no device token of the notice is valid any more") }
        if let refused = results.first(where: { if case .refused = $0 { true } else { false } }), case .refused(let code, let message) = refused {
            return .permanent(code: code, message: message)
        }
        return .contactsInvalid(contacts: invalid, message: "no device token of the notice is valid any more")
    }

    private func push(_ notice: Notice, token: String, key: String) async -> TokenResult {
        var body = JSONWriter()
        body.object { json in
            json.member("body", notice.body)
            json.key("data")
            json.object { data in
                data.member("agency", notice.request.agency)
                data.member("caseId", notice.request.caseId)
                data.member("link", notice.request.link)
                data.member("notificationId", notice.notificationId)
            }
            json.member("idempotencyKey", key)
            json.member("title", notice.subject ?? "")
            json.member("token", token)
        }
        var headers = [("Content-Type", "application/json"), ("Idempotency-Key", key)]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        switch await http.perform(.init(method: "POST", url: pushURL, headers: headers, body: body.bytes)) {
        case .failure(.timedOut):
            return .temporary(code: "timeout", message: "the push gateway did not answer within \(timeout)")
        case .failure(let error):
            return .temporary(code: "unreachable", message: "no answer from the push gateway: \(error)")
        case .success(let answer):
            switch answer.status {
            case 200 ..< 300:
                return .delivered(Self.id(in: answer.body) ?? key)
            case 404, 410:
                return .invalid
            case 408, 429, 500 ..< 600:
                return .temporary(code: "http_\(answer.status)", message: "the push gateway answered \(answer.status)")
            default:
                return .refused(code: "http_\(answer.status)", message: "the push gateway refused the push (\(answer.status))")
            }
        }
    }

    public func status(of notificationId: UUID) async -> GatewayOutcome? {
        let key = Self.idempotencyKey(notificationId, token: 0)
        var headers: [(String, String)] = []
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        guard case .success(let answer) = await http.perform(.init(url: baseURL + "/v1/push/status?idempotencyKey=" + key, headers: headers)),
              answer.status == 200, let id = Self.id(in: answer.body) else { return nil }
        return .delivered(reference: id, at: Date())
    }

    /// The gateway's id for the push: read by hand from the API's own answer, else with `JSONDecoder`
    /// (which takes fields the API may add; a decoder made per answer showed at thousands a second).
    static func id(in body: [UInt8]) -> String? {
        let scanned = body.withUnsafeBytes { json -> String? in
            var scanner = JSONScanner(json)
            var id: String?
            let complete = scanner.object { scanner, key in
                switch key {
                case "id": id = scanner.string(); return id != nil
                case "status", "deliveredAt": return scanner.string() != nil
                default: return false
                }
            }
            return complete && scanner.atEnd() ? id : nil
        }
        return scanned ?? (try? decoder.decode(Answer.self, from: Data(body)))?.id
    }

    private struct Answer: Decodable { let id: String }
    private static let decoder = JSONDecoder()
}
