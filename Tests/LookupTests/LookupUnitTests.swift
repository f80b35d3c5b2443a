@testable import DAGRConnector
import Foundation
import GatewayHTTP
@testable import Lookups
import Sandboxes
import Testing
import Topics

@Suite("Lookups: policy, parameters, subject hashes, shared calls (with the register emulator)")
struct LookupUnitTests {
    static let requester = Requester(agency: "VID", system: "eds")
    static func request(_ type: LookupQueryType, _ parameters: [String: String], purpose: String = "LIK-2008-tax", system: String = "eds",
                        deadline: Date = Date().addingTimeInterval(10)) -> LookupRequest {
        LookupRequest(correlationId: UUID(), replyTopic: HubTopics.dagrLookupReplies.name, requester: Requester(agency: "VID", system: system),
                      purpose: purpose, queryType: type, parameters: parameters, deadline: deadline)
    }
    static let policies = ["VID": LookupPolicy(agency: "VID", rules: [
        .init(systems: ["eds"], queryTypes: [.personStatus, .personExists], purposes: ["LIK-2008-tax"], fields: ["status", "exists"]),
        .init(systems: ["*"], queryTypes: [.companyStatus], purposes: ["LIK-2008-tax", "KL-2010-reg"], fields: ["name", "status"], cacheSeconds: 60),
        .init(systems: ["eds"], queryTypes: [.companyStatus], purposes: ["LIK-2008-tax"], fields: ["legalForm"], cacheSeconds: 30),
    ])]

    @Test("parameters are trimmed as Foundation trims whitespace, and go upstream percent-encoded byte by byte")
    func trimmingAndEncoding() throws {
        for text in ["320000-00001", "  320000-00001\t", "\u{00A0}Rīga\u{2003}", " \n x \n ", "   ", "", "\t", "a b"] {
            #expect(LookupQuery.trimmed(text) == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
        }
        #expect(QueryValue.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(QueryValue.encode("Rīga, iela 1&x=2/3+%") == "R%C4%ABga%2C%20iela%201%26x%3D2%2F3%2B%25")
        let query = try LookupQuery(.addressValidate, ["text": " Brīvības iela 1 "])
        #expect(DAGRConnector.path(for: query) == "/v1/addresses?text=br%C4%ABv%C4%ABbas%20iela%201")
    }

    @Test("the register's answer: the common body read by the scanner, an unusual one by JSONDecoder, a bad one refused")
    func registerAnswerBody() throws {
        let common = try #require(RecordBody.read(Array(#"{"asOf":"2025-03-01T10:00:00Z","record":{"name":"SIA \"Ābele\"","status":"active"}}"#.utf8)))
        #expect(common.asOf == "2025-03-01T10:00:00Z")
        #expect(common.record == ["name": "SIA \"Ābele\"", "status": "active"])
        let noDate = try #require(RecordBody.read(Array(#"{"record":{},"asOf":null}"#.utf8)))
        #expect(noDate.asOf == nil && noDate.record.isEmpty)
        // An extra member is the decoder's to judge (it ignores it), not the scanner's.
        let extra = try #require(RecordBody.read(Array(#"{"asOf":"2025-03-01T10:00:00Z","record":{"a":"1"},"source":{"x":[1.5]}}"#.utf8)))
        #expect(extra.record == ["a": "1"])
        for bad in [#"{"asOf":"x"}"#, #"{"record":{"a":1}}"#, #"{"record":"a"}"#, "not json"] {
            #expect(RecordBody.read(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test("no purpose, no policy, a query or purpose no rule allows: forbidden with the reason; allowed: the fields of every matching rule, the shortest cache")
    func gate() {
        func decide(_ request: LookupRequest) -> LookupGate.Decision { LookupGate.decide(request, policies: Self.policies) }
        #expect(decide(Self.request(.personStatus, [:], purpose: " ")) == .forbid(reason: "no_purpose"))
        var other = Self.request(.personStatus, [:])
        other.requester = Requester(agency: "CSDD", system: "x")
        #expect(decide(other) == .forbid(reason: "no_policy"))
        #expect(decide(Self.request(.addressValidate, [:])) == .forbid(reason: "query_not_allowed"))
        #expect(decide(Self.request(.personStatus, [:], system: "portal")) == .forbid(reason: "query_not_allowed"))
        #expect(decide(Self.request(.personStatus, [:], purpose: "curiosity")) == .forbid(reason: "purpose_not_allowed"))
        #expect(decide(Self.request(.companyStatus, [:])) == .allow(fields: ["name", "status", "legalForm"], cacheSeconds: 30))
        #expect(decide(Self.request(.companyStatus, [:], purpose: "KL-2010-reg", system: "portal")) == .allow(fields: ["name", "status"], cacheSeconds: 60))
        #expect(LookupGate.visible(["name": "SIA X", "status": "registered", "regNumber": "40003000001"], fields: ["name", "status"])
            == ["name": "SIA X", "status": "registered"])
    }

    @Test("parameters: person codes, registration numbers, addresses, datasets checked and made canonical; anything else invalid with a reason")
    func parameters() throws {
        #expect(try LookupQuery(.personStatus, ["personCode": "32000000001"]).parameters == ["personCode": "320000-00001"])
        #expect(try LookupQuery(.personExists, ["personCode": " 010190-10000 "]).parameters == ["personCode": "010190-10000"])
        for bad in ["12345", "0101901000", "01019-010000", "abcdef-12345", "010190-1000x"] {
            #expect(throws: LookupQuery.Invalid(reason: "bad_person_code")) { try LookupQuery(.personStatus, ["personCode": bad]) }
        }
        #expect(throws: LookupQuery.Invalid(reason: "missing_person_code")) { try LookupQuery(.personStatus, [:]) }
        #expect(throws: LookupQuery.Invalid(reason: "unknown_parameter")) { try LookupQuery(.personStatus, ["personCode": "32000000001", "name": "x"]) }
        #expect(throws: LookupQuery.Invalid(reason: "bad_reg_number")) { try LookupQuery(.companyStatus, ["regNumber": "4000300000"]) }
        #expect(try LookupQuery(.addressValidate, ["text": "Brīvības  iela 1,  Rīga"]).parameters == ["text": "brīvības iela 1, rīga"])
        #expect(throws: LookupQuery.Invalid(reason: "missing_address")) { try LookupQuery(.addressValidate, [:]) }
        #expect(throws: LookupQuery.Invalid(reason: "bad_dataset")) { try LookupQuery(.objectGet, ["dataset": "Persons;drop", "id": "1"]) }
    }

    @Test("the audit's subject: the same person hashes the same whatever the question; the code is not in it; another secret, another hash")
    func subjects() throws {
        let status = try LookupQuery(.personStatus, ["personCode": "320000-00001"]), exists = try LookupQuery(.personExists, ["personCode": "32000000001"])
        #expect(status.subjectHash(secret: "s1") == exists.subjectHash(secret: "s1"))
        #expect(status.subjectHash(secret: "s1") != status.subjectHash(secret: "s2"))
        #expect(!status.subjectHash(secret: "s1").contains("320000") && status.subjectHash(secret: "s1").hasPrefix("hmac:"))
    }

    @Test("twenty identical lookups at once make one call to the register; a cached answer says so; an outage answers unavailable, then the circuit answers at once")
    func sharedCallsCacheAndCircuit() async throws {
        let register = DAGRRegister()
        try register.start()
        defer { register.stop() }
        register.update { $0.latency = .milliseconds(200) }
        var settings = LookupResolver.Settings()
        settings.circuitFailures = 2
        settings.circuitOpenSeconds = 1
        let resolver = LookupResolver(upstream: DAGRConnector(baseURL: register.baseURL), secret: "test", settings: settings)
        let company = register.register.companyNumbers[3]
        let results = await withTaskGroup(of: LookupResolver.Resolution.self) { group in
            for _ in 0 ..< 20 { group.addTask { await resolver.resolve(Self.request(.companyStatus, ["regNumber": company]), policies: Self.policies) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(register.calls == 1, "one upstream call for twenty lookups (\(register.calls))")
        #expect(results.allSatisfy { $0.reply?.outcome == .found && $0.reply?.data?["name"] != nil && $0.reply?.data?["regNumber"] == nil })
        let cached = await resolver.resolve(Self.request(.companyStatus, ["regNumber": company]), policies: Self.policies)
        #expect(cached.reply?.fromCache == true && cached.audit.fromCache && register.calls == 1)
        // Down: the first lookups retry and answer unavailable; once the circuit is open, at once.
        register.update { $0.latency = .zero; $0.downUntil = .distantFuture }
        let person = register.register.personCodes[5]
        for _ in 0 ..< 2 {
            let down = await resolver.resolve(Self.request(.personStatus, ["personCode": person], deadline: Date().addingTimeInterval(3)), policies: Self.policies)
            #expect(down.reply?.outcome == .unavailable)
        }
        let callsBefore = register.calls
        let fast = await resolver.resolve(Self.request(.personStatus, ["personCode": person]), policies: Self.policies)
        #expect(fast.reply?.outcome == .unavailable && fast.reply?.reason == "upstream_down")
        // At once: the open circuit calls nobody and does not wait out a back-off (the first is 20 ms; a loose bound, for busy CI machines).
        #expect(register.calls == callsBefore, "no call to the register while the circuit is open")
        #expect(fast.audit.latencyMilliseconds < 500, "\(fast.audit.latencyMilliseconds) ms")
        register.update { $0.downUntil = nil }
        try await Task.sleep(for: .seconds(1.1))
        let back = await resolver.resolve(Self.request(.personStatus, ["personCode": person]), policies: Self.policies)
        #expect(back.reply?.outcome == .found && ["alive", "deceased"].contains(back.reply?.data?["status"] ?? ""))
        #expect(back.reply?.data?.keys.sorted() == ["status"], "person.status says alive or deceased, nothing more")
    }
}

extension LookupUnitTests {
    /// An upstream that takes all the time it is given and then reports a time-out, as libcurl does, a little early.
    struct Slow: RegisterUpstream {
        func fetch(_ query: LookupQuery, within: Duration) async -> UpstreamAnswer {
            try? await Task.sleep(for: within - .milliseconds(3))
            return .failed(code: "upstream_timeout")
        }
    }

    @Test("an upstream call that times out with the request's deadline: audited and answered timeout, never unavailable")
    func upstreamTimeoutAtTheDeadlineIsATimeout() async {
        let resolver = LookupResolver(upstream: Slow(), secret: "test")
        let company = "40003000001"
        let resolution = await resolver.resolve(Self.request(.companyStatus, ["regNumber": company], deadline: Date().addingTimeInterval(0.3)),
                                                policies: Self.policies)
        #expect(resolution.audit.outcome == .timeout && resolution.audit.reason == "deadline_passed")
        #expect(resolution.reply == nil || resolution.reply?.outcome == .timeout)
    }
}
