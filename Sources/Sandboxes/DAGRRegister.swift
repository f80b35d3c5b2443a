import Foundation
import HTTPServer
import Locking
import Topics

/// `hub sandbox dagr`: an emulator of the DAGR-style register API in
/// docs/lookups.md over a synthetic register (persons, companies and
/// addresses generated from a seed: the same seed, the same register; no
/// real data), for tests and integrators. It can be slow, fail a share of
/// calls, or be down for a while, and counts the calls it answers.
public final class DAGRRegister: Sendable {
    public struct Settings: Sendable {
        public var latency: Duration = .zero
        /// Share of calls answered 503 (0...1).
        public var failureRate: Double = 0
        /// Every call answers 503 until this time.
        public var downUntil: Date?
        public init() {}
    }

    /// The synthetic register: each record a flat set of fields.
    public struct Register: Sendable {
        public var persons: [String: [String: String]] = [:]
        public var companies: [String: [String: String]] = [:]
        public var addresses: [String: [String: String]] = [:]
        public var addressByText: [String: String] = [:]
        /// In generation order, for tests and integrators to pick from.
        public var personCodes: [String] = []
        public var companyNumbers: [String] = []
        public var addressCodes: [String] = []

        /// `persons`, `companies` and `addresses` records from `seed`.
        public init(seed: UInt64, persons: Int = 3_000, companies: Int = 1_000, addresses: Int = 2_000) {
            var random = SplitMix64(seed: seed)
            let streets = ["Brīvības iela", "Elizabetes iela", "Krišjāņa Valdemāra iela", "Tērbatas iela", "Lāčplēša iela", "Ģertrūdes iela",
                           "Stabu iela", "Dzirnavu iela", "Miera iela", "Ūdens iela"]
            let towns = [("Rīga", "LV-10"), ("Jelgava", "LV-30"), ("Liepāja", "LV-34"), ("Daugavpils", "LV-54"), ("Valmiera", "LV-42")]
            for index in 0 ..< addresses {
                let code = String(100_000_000 + index * 37 + Int(random.next() % 37))
                let (town, post) = towns[Int(random.next() % UInt64(towns.count))]
                let text = "\(streets[Int(random.next() % UInt64(streets.count))]) \(1 + random.next() % 120), \(town), \(post)\(String(format: "%02d", random.next() % 99))"
                self.addresses[code] = ["code": code, "text": text, "valid": "true", "town": town]
                addressByText[Self.normalise(text)] = code
                addressCodes.append(code)
            }
            let given = ["Anna", "Jānis", "Līga", "Andris", "Ilze", "Pēteris", "Kristīne", "Mārtiņš", "Inese", "Edgars", "Zane", "Raimonds"]
            let family = ["Bērziņš", "Kalniņš", "Ozoliņš", "Jansons", "Liepiņš", "Krūmiņš", "Zariņš", "Balodis", "Vītols", "Eglītis"]
            for index in 0 ..< persons {
                // New-style codes (32…): they say nothing about the person, and are plainly synthetic here.
                let code = String(format: "32%04d-%05d", index / 100_000 % 10_000, (index * 7_919 + Int(random.next() % 7)) % 100_000)
                guard self.persons[code] == nil else { continue }
                let deceased = random.next() % 20 == 0
                self.persons[code] = ["personCode": code, "status": deceased ? "deceased" : "alive",
                                      "givenName": given[Int(random.next() % UInt64(given.count))],
                                      "familyName": family[Int(random.next() % UInt64(family.count))],
                                      "addressCode": addressCodes.isEmpty ? "" : addressCodes[Int(random.next() % UInt64(addressCodes.count))]]
                personCodes.append(code)
            }
            let names = ["Ziemeļu", "Baltijas", "Daugavas", "Gaujas", "Kurzemes", "Vidzemes", "Latgales", "Zemgales"]
            let trades = ["Koks", "Maize", "Būve", "Transports", "Dati", "Enerģija", "Serviss", "Piens"]
            let forms = ["SIA", "AS", "IK", "Biedrība"]
            for index in 0 ..< companies {
                let number = String(format: "4000%07d", index * 13 + Int(random.next() % 13))
                let liquidated = random.next() % 10 == 0
                let form = forms[Int(random.next() % UInt64(forms.count))]
                self.companies[number] = ["regNumber": number, "name": "\(form) \"\(names[Int(random.next() % 8)]) \(trades[Int(random.next() % 8)])\"",
                                          "legalForm": form, "status": liquidated ? "liquidated" : "registered",
                                          "registeredOn": String(format: "%04d-%02d-%02d", 1995 + random.next() % 30, 1 + random.next() % 12, 1 + random.next() % 28)]
                companyNumbers.append(number)
            }
        }

        static func normalise(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased() }
    }

    private struct State {
        var settings: Settings
        var register: Register
        var calls = 0
        var changes: [Change] = []
        /// When the latest change was applied: answers are as of then (or of the register's start, before any).
        var lastChangeAt: Date?
        /// Change ids only grow, across restarts too: they count on from the start time in milliseconds.
        var firstChangeId = Int(Date().timeIntervalSince1970 * 1000) * 1000
    }

    private let state: PosixMutex<State>
    private let server: HTTPServer
    private let pause: EmulatorPause
    /// When the register was generated: answers before any change are as of then.
    public let asOf: Date

    public init(host: String = "127.0.0.1", port: Int = 0, seed: UInt64 = 2026, settings: Settings = Settings()) {
        let asOf = Date()
        self.asOf = asOf
        let state = PosixMutex(State(settings: settings, register: Register(seed: seed)))
        self.state = state
        let pause = EmulatorPause()
        self.pause = pause
        var router = HTTPRouter()
        func serve(_ path: String, _ find: @escaping @Sendable (HTTPRequest, Register) -> [String: String]?) {
            router.registerBlocking("GET", path) { request in Self.answer(request, state: state, asOf: asOf, pause: pause, find) }
        }
        serve("/v1/persons") { request, register in request.queryValue("code").flatMap { register.persons[$0] } }
        serve("/v1/companies") { request, register in request.queryValue("regNumber").flatMap { register.companies[$0] } }
        serve("/v1/addresses") { request, register in
            if let code = request.queryValue("code") { return register.addresses[code] }
            return request.queryValue("text").flatMap { register.addressByText[Register.normalise($0)] }.flatMap { register.addresses[$0] }
        }
        serve("/v1/objects") { request, register in
            guard let id = request.queryValue("id") else { return nil }
            switch request.queryValue("dataset") {
            case "persons": return register.persons[id]
            case "companies": return register.companies[id]
            case "addresses": return register.addresses[id]
            default: return nil
            }
        }
        router.registerBlocking("GET", "/v1/changes") { request in
            let since = Int(request.queryValue("since") ?? "0") ?? 0
            let limit = max(1, min(1_000, Int(request.queryValue("limit") ?? "") ?? 100))
            let (settings, changes) = state.withLock { state in
                state.calls += 1
                return (state.settings, Array(state.changes.lazy.filter { $0.changeId > since }.prefix(limit)))
            }
            if let down = settings.downUntil, Date() < down { return Self.problem(503, "unavailable", "the register is down") }
            return .json(String(decoding: (try? RecordJSON.encode(ChangeList(changes: changes))) ?? Data(), as: UTF8.self))
        }
        // The sandbox's own switch, for tests and integrators: make a change happen (docs/lookups.md).
        router.registerBlocking("POST", "/sandbox/changes") { request in
            guard let order = try? JSONDecoder().decode(ChangeOrder.self, from: request.body) else {
                return Self.problem(400, "bad_request", "expected {\"kind\": \"company.liquidated|company.renamed|address.changed|person.deceased\", \"key\": \"…\", \"value\": \"…\"}")
            }
            guard let change = state.withLock({ Self.apply(order, to: &$0) }) else {
                return Self.problem(404, "not_found", "no such kind, or no such record")
            }
            return .json(String(decoding: (try? RecordJSON.encode(change)) ?? Data(), as: UTF8.self), status: 201)
        }
        server = emulatorServer(host: host, port: port, router: router)
    }

    public func start() throws { try server.start() }
    public func stop() {
        pause.stop()
        server.shutdown()
    }
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    public func update(_ change: (inout Settings) -> Void) { state.withLock { change(&$0.settings) } }
    public var register: Register { state.withLock { $0.register } }
    /// Calls answered (any status).
    public var calls: Int { state.withLock { $0.calls } }

    /// A change as the register lists it on `GET /v1/changes` (docs/lookups.md).
    public struct Change: Codable, Sendable, Hashable {
        public var changeId: Int
        public var kind: String
        public var objectType: String
        public var key: String
        public var changedAt: String
        public var changedFields: [String]
    }

    struct ChangeList: Codable { var changes: [Change] }

    /// What `POST /sandbox/changes` asks for; `value` is the new name or address text.
    public struct ChangeOrder: Codable, Sendable, Hashable {
        public var kind: String
        public var key: String
        public var value: String?
        public init(kind: String, key: String, value: String? = nil) {
            self.kind = kind
            self.key = key
            self.value = value
        }
    }

    /// Makes a change happen, as the register would: the record changes and the change is listed.
    /// Nil when the kind is unknown or the record does not exist.
    @discardableResult
    public func change(_ order: ChangeOrder) -> Change? { state.withLock { Self.apply(order, to: &$0) } }

    /// Liquidates a company (`company.liquidated`).
    @discardableResult
    public func liquidate(company number: String) -> Change? { change(ChangeOrder(kind: "company.liquidated", key: number)) }

    /// Lists a change the hub cannot place (a person change whose key is not a person code), as a faulty register might.
    public func listMalformedChange() {
        state.withLock { state in
            state.changes.append(Change(changeId: state.firstChangeId + state.changes.count + 1, kind: "person.deceased", objectType: "person",
                                        key: "not-a-person-code", changedAt: RFC3339Timestamp.format(Date()), changedFields: ["status"]))
        }
    }

    private static func apply(_ order: ChangeOrder, to state: inout State) -> Change? {
        let fields: [String], type: String
        switch order.kind {
        case "company.liquidated":
            guard state.register.companies[order.key] != nil else { return nil }
            state.register.companies[order.key]?["status"] = "liquidated"
            (type, fields) = ("company", ["status"])
        case "company.renamed":
            guard state.register.companies[order.key] != nil, let name = order.value else { return nil }
            state.register.companies[order.key]?["name"] = name
            (type, fields) = ("company", ["name"])
        case "address.changed":
            guard let old = state.register.addresses[order.key], let text = order.value else { return nil }
            state.register.addressByText[Register.normalise(old["text"] ?? "")] = nil
            state.register.addresses[order.key]?["text"] = text
            state.register.addressByText[Register.normalise(text)] = order.key
            (type, fields) = ("address", ["text"])
        case "person.deceased":
            guard state.register.persons[order.key] != nil else { return nil }
            state.register.persons[order.key]?["status"] = "deceased"
            (type, fields) = ("person", ["status"])
        default:
            return nil
        }
        let now = Date()
        let change = Change(changeId: state.firstChangeId + state.changes.count + 1, kind: order.kind, objectType: type, key: order.key,
                            changedAt: RFC3339Timestamp.format(now), changedFields: fields)
        state.changes.append(change)
        state.lastChangeAt = now
        return change
    }

    private static func answer(_ request: HTTPRequest, state: PosixMutex<State>, asOf: Date, pause: EmulatorPause,
                               _ find: (HTTPRequest, Register) -> [String: String]?) -> HTTPResponse {
        let settings = state.withLock { state -> Settings in
            state.calls += 1
            return state.settings
        }
        if settings.latency > .zero { pause.sleep(settings.latency) }
        if let down = settings.downUntil, Date() < down { return problem(503, "unavailable", "the register is down") }
        if settings.failureRate > 0, Double.random(in: 0 ..< 1) < settings.failureRate { return problem(503, "unavailable", "try again") }
        guard let (record, changedAt) = state.withLock({ state in find(request, state.register).map { ($0, state.lastChangeAt) } }) else {
            return problem(404, "not_found", "no such record")
        }
        var writer = JSONWriter()
        writer.object { json in
            json.member("asOf", RFC3339Timestamp.format(changedAt ?? asOf))
            json.member("record", record)
        }
        return .json(String(decoding: writer.bytes, as: UTF8.self))
    }

    static func problem(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .json(#"{"error":"\#(code)","message":"\#(message)"}"#, status: status)
    }
}

/// A small, fast, reproducible generator (SplitMix64): the synthetic register's only source of chance.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
