import Foundation
import HTTPServer
import Locking
import Topics

/// `hub sandbox push`: an emulator of the push gateway in
/// docs/connectors/push.md, in the style of the state app's notification
/// service, for tests and integrators. It records every push per
/// idempotency key (a repeat gets the first answer), answers 410 for tokens
/// of uninstalled apps and 404 for tokens it never issued, and can be slow,
/// fail a share of requests, or be down for a while.
public final class PushGateway: Sendable {
    public struct Settings: Sendable {
        public var latency: Duration = .zero
        /// Share of pushes answered 503 (0...1).
        public var failureRate: Double = 0
        /// Every request answers 503 until this time.
        public var downUntil: Date?
        /// Tokens of apps that were uninstalled (410 Gone).
        public var goneTokens: Set<String> = []
        /// Tokens the gateway never issued (404).
        public var unknownTokens: Set<String> = []
        /// Required as `Authorization: Bearer …` when set.
        public var apiKey: String?
        public init() {}
    }

    public struct Push: Codable, Sendable, Hashable {
        public var id: String
        public var idempotencyKey: String
        public var token: String
        public var title: String
        public var body: String
        public var data: [String: String]
        public var deliveredAt: Date
    }

    struct Submission: Decodable {
        var token: String
        var title: String
        var body: String
        var data: [String: String]?
        var idempotencyKey: String?

        /// Reads a push: by hand for the plain case, else with `JSONDecoder`, which also takes what the
        /// scanner gives up on (a decoder made per request showed in the bench at thousands a second).
        static func read(_ body: Data) -> Submission? {
            if let submission = body.withUnsafeBytes(scan) { return submission }
            return try? decoder.decode(Submission.self, from: body)
        }

        private static let decoder = JSONDecoder()

        private static func scan(_ json: UnsafeRawBufferPointer) -> Submission? {
            var scanner = JSONScanner(json)
            var token: String?, title: String?, body: String?, data: [String: String]?, idempotencyKey: String?
            let complete = scanner.object { scanner, key in
                switch key {
                case "token": token = scanner.string(); return token != nil
                case "title": title = scanner.string(); return title != nil
                case "body": body = scanner.string(); return body != nil
                case "data": data = scanner.stringMap(); return data != nil
                case "idempotencyKey": idempotencyKey = scanner.string(); return idempotencyKey != nil
                default: return false
                }
            }
            guard complete, scanner.atEnd(), let token, let title, let body else { return nil }
            return Submission(token: token, title: title, body: body, data: data, idempotencyKey: idempotencyKey)
        }
    }

    private struct State {
        var settings: Settings
        var pushes: [String: Push] = [:]
        var order: [String] = []
        var attempts: [String: Int] = [:]
        var refused = 0
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
        router.registerBlocking("POST", "/v1/push") { request in Self.push(request, state: state, pause: pause) }
        router.registerBlocking("GET", "/v1/push/status") { request in
            guard let key = request.queryValue("idempotencyKey"), let push = state.withLock({ $0.pushes[key] }) else {
                return Self.problem(404, "unknown_push", "no push with this idempotency key")
            }
            return .json(Self.answer(push))
        }
        server = emulatorServer(host: host, port: port, router: router)
    }

    public func start() throws { try server.start() }
    public func stop() {
        pause.stop()
        server.shutdown()
    }
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Changes the behaviour while running (tests inject faults this way).
    public func update(_ change: (inout Settings) -> Void) { state.withLock { change(&$0.settings) } }
    /// Every push delivered once, in arrival order.
    public var pushes: [Push] { state.withLock { state in state.order.compactMap { state.pushes[$0] } } }
    /// Requests per idempotency key, repeats and refusals included.
    public var attempts: [String: Int] { state.withLock { $0.attempts } }
    /// Requests answered 503 (down, or the failure rate).
    public var refused: Int { state.withLock { $0.refused } }

    /// What a push comes to, decided under one turn of the lock (8 connection threads on 2 cores: every
    /// extra turn was a chance to wait on a holder the scheduler had put aside).
    private enum Decision {
        case refused(HTTPResponse)
        case answered(Push, repeated: Bool)
    }

    private static func push(_ request: HTTPRequest, state: Store, pause: EmulatorPause) -> HTTPResponse {
        let (latency, apiKey) = state.withLock { ($0.settings.latency, $0.settings.apiKey) }
        if latency > .zero { pause.sleep(latency) }
        if let apiKey, request.headers["Authorization"] != "Bearer \(apiKey)" {
            return problem(401, "unauthorized", "a valid API key is required")
        }
        guard let submission = Submission.read(request.body), !submission.token.isEmpty, !submission.title.isEmpty else {
            return problem(400, "invalid_push", "token, title and body are required")
        }
        let key = request.headers["Idempotency-Key"] ?? submission.idempotencyKey ?? UUID().uuidString
        let now = Date()
        let decision = state.withLock { state -> Decision in
            let settings = state.settings
            state.attempts[key, default: 0] += 1
            if let down = settings.downUntil, now < down {
                state.refused += 1
                return .refused(problem(503, "unavailable", "the push service is down"))
            }
            if settings.failureRate > 0, Double.random(in: 0 ..< 1) < settings.failureRate {
                state.refused += 1
                return .refused(problem(503, "unavailable", "try again"))
            }
            if settings.goneTokens.contains(submission.token) { return .refused(problem(410, "token_gone", "the app was removed from this device")) }
            if settings.unknownTokens.contains(submission.token) { return .refused(problem(404, "token_unknown", "no device has this token")) }
            if let existing = state.pushes[key] { return .answered(existing, repeated: true) }
            let push = Push(id: emulatorReference("PN-", state.order.count + 1), idempotencyKey: key, token: submission.token, title: submission.title,
                            body: submission.body, data: submission.data ?? [:], deliveredAt: now)
            state.pushes[key] = push
            state.order.append(key)
            return .answered(push, repeated: false)
        }
        switch decision {
        case .refused(let response): return response
        case .answered(let push, let repeated): return .json(answer(push), status: repeated ? 200 : 201)
        }
    }

    static func problem(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .json(#"{"error":"\#(code)","message":"\#(message)"}"#, status: status)
    }

    static func answer(_ push: Push) -> String {
        #"{"id":"\#(push.id)","status":"delivered","deliveredAt":"\#(RFC3339Timestamp.format(push.deliveredAt))"}"#
    }
}
