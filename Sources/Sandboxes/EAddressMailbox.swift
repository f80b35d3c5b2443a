import Foundation
import HTTPServer
import Locking
import Topics

/// `hub sandbox eaddress`: an emulator of the official e-address delivery
/// API described in docs/connectors/eaddress.md, for tests and integrators.
/// It records every message, answers a repeated `messageId` with the first
/// answer (idempotency), confirms delivery after `deliverAfter`, and can be
/// told to be slow, to fail a share of requests, or to be down for a while.
public final class EAddressMailbox: Sendable {
    public struct Settings: Sendable {
        /// How long every submission and status query takes to answer.
        public var latency: Duration = .zero
        /// Share of submissions answered 503 (0...1).
        public var failureRate: Double = 0
        /// Every request answers 503 until this time.
        public var downUntil: Date?
        /// When a message counts as delivered after it was accepted.
        public var deliverAfter: Duration = .zero
        /// Recipients without an activated e-address (answered 404).
        public var unknownRecipients: Set<String> = []
        public init() {}
    }

    public struct Message: Codable, Sendable, Hashable {
        public var messageId: String
        public var reference: String
        public var sender: String
        public var recipient: String
        public var subject: String
        public var body: String
        public var attachments: [Attachment]
        public var acceptedAt: Date
        public var deliveredAt: Date?
        public var status: String
    }

    public struct Attachment: Codable, Sendable, Hashable {
        public var name: String
        public var uri: String
    }

    struct Submission: Decodable {
        var messageId: String
        var sender: String
        var recipient: String
        var subject: String
        var body: String
        var attachments: [Attachment]?

        /// Reads a submission: by hand for the plain case, else with
        /// `JSONDecoder`, which then says what is wrong.
        static func read(_ body: Data) -> Submission? {
            if let submission = body.withUnsafeBytes(scan) { return submission }
            return try? decoder.decode(Submission.self, from: body)
        }

        private static func scan(_ json: UnsafeRawBufferPointer) -> Submission? {
            var scanner = JSONScanner(json)
            var messageId: String?, sender: String?, recipient: String?, subject: String?, body: String?
            var attachments: [Attachment]?
            let complete = scanner.object { scanner, key in
                switch key {
                case "messageId": messageId = scanner.string(); return messageId != nil
                case "sender": sender = scanner.string(); return sender != nil
                case "recipient": recipient = scanner.string(); return recipient != nil
                case "subject": subject = scanner.string(); return subject != nil
                case "body": body = scanner.string(); return body != nil
                case "attachments":
                    var list: [Attachment] = []
                    let read = scanner.array { scanner in
                        var name: String?, uri: String?
                        let whole = scanner.object { scanner, key in
                            switch key {
                            case "name": name = scanner.string(); return name != nil
                            case "uri": uri = scanner.string(); return uri != nil
                            default: return false
                            }
                        }
                        guard whole, let name, let uri else { return false }
                        list.append(Attachment(name: name, uri: uri))
                        return true
                    }
                    attachments = list
                    return read
                default: return false
                }
            }
            guard complete, scanner.atEnd(), let messageId, let sender, let recipient, let subject, let body else { return nil }
            return Submission(messageId: messageId, sender: sender, recipient: recipient, subject: subject, body: body, attachments: attachments)
        }
    }

    /// The answer to a submission and to a status query, as the API
    /// defines it: the message's identity and state, never its content.
    struct Confirmation: JSONWritable {
        let message: Message

        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.member("acceptedAt", message.acceptedAt)
                json.member("deliveredAt", message.deliveredAt)
                json.member("messageId", message.messageId)
                json.member("reference", message.reference)
                json.member("status", message.status)
            }
        }
    }

    private struct State {
        var settings: Settings
        var messages: [String: Message] = [:]
        var order: [String] = []
        var submissions: [String: Int] = [:]
        var refused = 0
        var statusQueries = (running: 0, peak: 0, total: 0)
        var statusAsked = 0
    }

    private typealias Store = PosixMutex<State>

    private let state: Store
    private let server: HTTPServer
    private let pause: EmulatorPause

    public init(host: String = "127.0.0.1", port: Int = 0, settings: Settings = Settings()) {
        let state = Store(State(settings: settings))
        self.state = state
        let pause = EmulatorPause()
        self.pause = pause
        var router = HTTPRouter()
        router.registerBlocking("POST", "/v1/messages") { request in Self.submit(request, state: state, pause: pause) }
        router.registerBlocking("GET", "/v1/messages/status") { request in Self.status(request, state: state, pause: pause) }
        router.registerBlocking("POST", "/v1/messages/status") { request in Self.statuses(request, state: state, pause: pause) }
        router.registerBlocking("GET", "/v1/messages") { request in
            let recipient = request.queryValue("recipient")
            let messages = state.withLock { state in state.order.compactMap { state.messages[$0] }.filter { recipient == nil || $0.recipient == recipient } }
            return .json(Self.encode(messages.map { Self.current($0) }))
        }
        server = emulatorServer(host: host, port: port, router: router)
    }

    public func start() throws { try server.start() }
    public func stop() {
        pause.stop()
        server.shutdown()
    }
    public var port: Int { server.port }
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Changes the behaviour while running (tests inject faults this way).
    public func update(_ change: (inout Settings) -> Void) { state.withLock { change(&$0.settings) } }

    /// Every message received once, in arrival order.
    public var messages: [Message] { state.withLock { state in state.order.compactMap { state.messages[$0] } } }
    /// Submissions answered 503 (down, or the failure rate).
    public var refused: Int { state.withLock { $0.refused } }
    /// Status queries answered (a batch counts once), and the most answered at once.
    public var statusQueries: (total: Int, peak: Int) { state.withLock { ($0.statusQueries.total, $0.statusQueries.peak) } }
    /// Messages asked about, over single and batch status queries.
    public var statusAsked: Int { state.withLock { $0.statusAsked } }
    /// The most message ids one `POST /v1/messages/status` may name.
    public static let statusBatchLimit = 500
    /// Submissions received per message id, repeats included.
    public var submissions: [String: Int] { state.withLock { $0.submissions } }

    private static func submit(_ request: HTTPRequest, state: Store, pause: EmulatorPause) -> HTTPResponse {
        let settings = state.withLock { $0.settings }
        if settings.latency > .zero { pause.sleep(settings.latency) }
        if let down = settings.downUntil, Date() < down {
            state.withLock { $0.refused += 1 }
            return problem(503, "unavailable", "the mailbox service is down")
        }
        guard let submission = Submission.read(request.body),
              !submission.messageId.isEmpty, !submission.recipient.isEmpty, !submission.subject.isEmpty else {
            return problem(400, "invalid_message", "messageId, sender, recipient, subject and body are required")
        }
        if settings.failureRate > 0, Double.random(in: 0 ..< 1) < settings.failureRate {
            state.withLock { $0.refused += 1 }
            return problem(503, "unavailable", "try again")
        }
        if settings.unknownRecipients.contains(submission.recipient) { return problem(404, "unknown_recipient", "the recipient has no activated e-address") }
        let (message, repeated) = state.withLock { state -> (Message, Bool) in
            state.submissions[submission.messageId, default: 0] += 1
            if let existing = state.messages[submission.messageId] { return (existing, true) }
            let message = Message(messageId: submission.messageId, reference: emulatorReference("EA-", state.order.count + 1), sender: submission.sender,
                                  recipient: submission.recipient, subject: submission.subject, body: submission.body,
                                  attachments: submission.attachments ?? [], acceptedAt: Date(), deliveredAt: nil, status: "accepted")
            state.messages[message.messageId] = message
            state.order.append(message.messageId)
            return (message, false)
        }
        return .json(Data(JSONWriter.encode(Confirmation(message: current(message, deliverAfter: settings.deliverAfter)))), status: repeated ? 200 : 201)
    }

    private static func status(_ request: HTTPRequest, state: Store, pause: EmulatorPause) -> HTTPResponse {
        answeringStatus(asked: 1, state: state, pause: pause) { settings in
            guard let id = request.queryValue("messageId"), let message = state.withLock({ $0.messages[id] }) else {
                return problem(404, "unknown_message", "no message with this messageId")
            }
            return .json(Data(JSONWriter.encode(Confirmation(message: current(message, deliverAfter: settings.deliverAfter)))))
        }
    }

    /// `POST /v1/messages/status` `{"messageIds":[…]}` (1 to `statusBatchLimit`): `{"messages":[…]}`, each as a
    /// single status query answers it, in the order asked; ids it never received are left out.
    private static func statuses(_ request: HTTPRequest, state: Store, pause: EmulatorPause) -> HTTPResponse {
        guard let ids = StatusBatch.read(request.body), (1 ... statusBatchLimit).contains(ids.count) else {
            return problem(400, "invalid_query", "messageIds: 1 to \(statusBatchLimit) message ids")
        }
        return answeringStatus(asked: ids.count, state: state, pause: pause) { settings in
            let known = state.withLock { state in ids.compactMap { state.messages[$0] } }
            return .json(Data(JSONWriter.encode(StatusBatch(messages: known.map { current($0, deliverAfter: settings.deliverAfter) }))))
        }
    }

    /// Counts a status query (single or batch) while it is answered, after the latency and outage switches.
    private static func answeringStatus(asked: Int, state: Store, pause: EmulatorPause, _ answer: (Settings) -> HTTPResponse) -> HTTPResponse {
        let settings = state.withLock { state in
            state.statusQueries.running += 1
            state.statusQueries.total += 1
            state.statusQueries.peak = max(state.statusQueries.peak, state.statusQueries.running)
            state.statusAsked += asked
            return state.settings
        }
        defer { state.withLock { $0.statusQueries.running -= 1 } }
        if settings.latency > .zero { pause.sleep(settings.latency) }
        if let down = settings.downUntil, Date() < down { return problem(503, "unavailable", "the mailbox service is down") }
        return answer(settings)
    }

    /// A batch status query's body (its ids) and answer (the messages it knows).
    struct StatusBatch: JSONWritable {
        let messages: [Message]

        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.key("messages")
                json.array(messages) { json, message in Confirmation(message: message).write(to: &json) }
            }
        }

        static func read(_ body: Data) -> [String]? {
            body.withUnsafeBytes { raw in
                var scanner = JSONScanner(raw)
                var ids: [String]?
                let complete = scanner.object { scanner, key in
                    guard key == "messageIds", ids == nil else { return false }
                    ids = scanner.strings()
                    return ids != nil
                }
                guard complete, scanner.atEnd() else { return nil }
                return ids
            }
        }
    }

    /// The message as of now: delivered once `deliverAfter` has passed since acceptance.
    private static func current(_ message: Message, deliverAfter: Duration = .zero) -> Message {
        var message = message
        let delivery = message.acceptedAt.addingTimeInterval(deliverAfter / .seconds(1))
        if Date() >= delivery {
            message.status = "delivered"
            message.deliveredAt = delivery
        }
        return message
    }

    private static func problem(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .json(#"{"error":"\#(code)","message":"\#(message)"}"#, status: status)
    }

    /// One encoder and one decoder for every request: making them per request showed in the bench.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // RFC 3339 by hand: Foundation's .iso8601 builds an ICU formatter on every call.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339Timestamp.format(date))
        }
        return encoder
    }()
    private static let decoder = JSONDecoder()

    private static func encode(_ value: some Encodable) -> Data {
        (try? encoder.encode(value)) ?? Data("null".utf8)
    }
}
