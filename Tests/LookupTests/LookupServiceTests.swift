import BrokerTestSupport
import DAGRConnector
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import LookupClient
import Lookups
import LookupService
import Sandboxes
import Synchronization
import Testing
import Topics

/// The lookup service on the real broker, the register emulator as upstream, asked through the Swift client.
/// Each test names its own agency, so the policies and audits of parallel tests do not meet.
@Suite("Lookups over the bus", .serialized)
struct LookupServiceTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    func prepare(agency: String) async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        let names = [HubTopics.dagrLookupRequests, HubTopics.dagrLookupReplies, HubTopics.dagrLookupAudit, HubTopics.dagrPolicy,
                     HubTopics.hubDeadLetter]
        _ = try await admin.createTopics(names.map { KafkaTopicSpecification(name: $0.name, partitions: Int32($0.partitions)) })
        await admin.close()
        let policy = LookupPolicy(agency: agency, rules: [
            .init(systems: ["eds"], queryTypes: [.personExists, .personStatus, .companyStatus, .addressValidate, .objectGet],
                  purposes: ["LIK-2008-tax"], fields: ["exists", "status", "name", "legalForm", "code", "text", "valid", "givenName"]),
        ])
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.send(KafkaProducerRecord(topic: HubTopics.dagrPolicy.name, key: Array(agency.utf8), value: Array(try RecordJSON.encode(policy))))
        await producer.close()
    }

    func withService(_ register: DAGRRegister, tag: String, logger: Logger? = nil, _ body: () async throws -> Void) async throws {
        var settings = LookupResolver.Settings()
        settings.circuitFailures = 3
        settings.circuitOpenSeconds = 1
        let readiness = Readiness()
        let service = LookupService(resolver: LookupResolver(upstream: DAGRConnector(baseURL: register.baseURL), secret: "test-secret", settings: settings),
                                    client: client, instance: "lookup-\(tag)", groupID: "lookup-\(tag)", metrics: MetricsRegistry(), readiness: readiness,
                                    logger: logger ?? self.logger, hubVersion: "test", crashes: nil)
        // Ready: the policy loaded and the requests' partitions assigned.
        try await whileRunning(service, ready: { readiness.isReady }, body)
    }

    func audits(agency: String, count: Int) async throws -> [LookupAudit] {
        try await readUntil(HubTopics.dagrLookupAudit.name, client: client, keep: { record in
            (record.value.flatMap { try? RecordJSON.decode(LookupAudit.self, from: Data($0)) })?.requester.agency == agency
        }, until: { $0.count >= count }).compactMap { $0.value.flatMap { try? RecordJSON.decode(LookupAudit.self, from: Data($0)) } }
    }

    @Test("each query type: found, not found, forbidden, invalid, upstream error and timeout; one audit per lookup; no person code in replies, audits or logs")
    func everyOutcome() async throws {
        let agency = "T" + UUID().uuidString.prefix(5).uppercased()
        try await prepare(agency: agency)
        let register = DAGRRegister()
        try register.start()
        defer { register.stop() }
        let data = register.register
        let person = data.personCodes[10], company = data.companyNumbers[10], address = data.addressCodes[10]
        var replies: [(String, LookupReply)] = []
        // Every log line of the service and the clients, at the most detailed level.
        let lines = Mutex<[String]>([])
        let capture = Logger(component: "lookup-test", threshold: .trace) { line in lines.withLock { $0.append(line) } }
        try await withService(register, tag: agency, logger: capture) {
            let lookups = try await LookupClient(client: client, requester: Requester(agency: agency, system: "eds"), logger: capture)
            let other = try await LookupClient(client: client, requester: Requester(agency: agency, system: "portal"), logger: capture)
            func ask(_ name: String, _ type: LookupQueryType, _ parameters: [String: String], purpose: String = "LIK-2008-tax",
                     via: LookupClient? = nil, timeout: Duration = .seconds(5)) async throws {
                replies.append((name, try await (via ?? lookups).lookup(type, parameters, purpose: purpose, timeout: timeout)))
            }
            try await ask("person.exists found", .personExists, ["personCode": person])
            try await ask("person.exists not found", .personExists, ["personCode": "329999-99999"])
            try await ask("person.status found", .personStatus, ["personCode": person])
            try await ask("company found", .companyStatus, ["regNumber": company])
            try await ask("company not found", .companyStatus, ["regNumber": "49999999999"])
            try await ask("address found", .addressValidate, ["code": address])
            try await ask("address by text", .addressValidate, ["text": data.addresses[address]!["text"]!])
            try await ask("object found", .objectGet, ["dataset": "companies", "id": company])
            try await ask("forbidden system", .personStatus, ["personCode": person], via: other)
            try await ask("forbidden purpose", .personStatus, ["personCode": person], purpose: "curiosity")
            try await ask("invalid", .personStatus, ["personCode": "12345"])
            register.update { $0.failureRate = 1 }
            try await ask("upstream error", .companyStatus, ["regNumber": data.companyNumbers[11]], timeout: .milliseconds(600))
            register.update { $0.failureRate = 0 }
            // The circuit closes again 1 s after its last failure (later under load): until a fresh company is found, it is open.
            for probe in 0 ..< 30 {
                try await Task.sleep(for: .milliseconds(300))
                try await ask("probe \(probe)", .companyStatus, ["regNumber": data.companyNumbers[20 + probe]])
                if replies.last?.1.outcome == .found { break }
            }
            register.update { $0.latency = .milliseconds(1500) }
            try await ask("timeout", .companyStatus, ["regNumber": data.companyNumbers[12]], timeout: .milliseconds(500))
            register.update { $0.latency = .zero }
            await lookups.close()
            await other.close()
        }
        let outcome = Dictionary(uniqueKeysWithValues: replies.map { ($0.0, $0.1) })
        #expect(outcome["person.exists found"]?.outcome == .found && outcome["person.exists found"]?.data == ["exists": "true"])
        #expect(outcome["person.exists not found"]?.outcome == .notFound)
        #expect(outcome["person.status found"]?.data?.keys.sorted() == ["status"])
        #expect(outcome["company found"]?.data?["name"] == data.companies[company]!["name"] && outcome["company found"]?.data?["regNumber"] == nil,
                "only the fields the policy allows")
        #expect(outcome["company found"]?.sourceTimestamp != nil && outcome["company found"]?.fromCache == false)
        #expect(outcome["company not found"]?.outcome == .notFound)
        #expect(outcome["address found"]?.data?["valid"] == "true" && outcome["address by text"]?.data?["code"] == address)
        #expect(outcome["object found"]?.outcome == .found && outcome["object found"]?.data?["legalForm"] != nil)
        #expect(outcome["forbidden system"]?.outcome == .forbidden && outcome["forbidden system"]?.reason == "query_not_allowed")
        #expect(outcome["forbidden purpose"]?.outcome == .forbidden && outcome["forbidden purpose"]?.reason == "purpose_not_allowed")
        #expect(outcome["invalid"]?.outcome == .invalid && outcome["invalid"]?.reason == "bad_person_code")
        #expect(outcome["upstream error"]?.outcome == .unavailable || outcome["upstream error"]?.outcome == .timeout)
        #expect(outcome["timeout"]?.outcome == .timeout)

        let audits = try await audits(agency: agency, count: replies.count)
        #expect(audits.count == replies.count, "exactly one audit per lookup (\(audits.count) for \(replies.count))")
        #expect(Set(audits.map(\.correlationId)).count == audits.count)
        #expect(audits.contains { $0.outcome == .timeout }, "the late one is audited as a timeout")
        #expect(audits.filter { $0.outcome == .forbidden }.count == 2, "refusals are audited")
        // The person code is in the request only: not in any reply, audit record or the logs of this process's lookups.
        let replyBytes = try await readAll(client: client, HubTopics.dagrLookupReplies.name).compactMap(\.valueString).joined()
        let auditBytes = try await readAll(client: client, HubTopics.dagrLookupAudit.name).compactMap(\.valueString).joined()
        #expect(!replyBytes.contains(person) && !auditBytes.contains(person))
        #expect(!replyBytes.contains(String(person.filter { $0 != "-" })) && !auditBytes.contains(String(person.filter { $0 != "-" })))
        let logs = lines.withLock { $0 }
        #expect(!logs.isEmpty, "the capture saw the service's log")
        for code in [person, "329999-99999"] {
            #expect(!logs.contains { $0.contains(code) || $0.contains(code.filter { $0 != "-" }) }, "no person code in any log line")
        }
    }

    @Test("register outage and recovery over the bus: answers switch to unavailable, then come at once while the circuit is open, and back to found")
    func outageAndRecovery() async throws {
        let agency = "O" + UUID().uuidString.prefix(5).uppercased()
        try await prepare(agency: agency)
        let register = DAGRRegister()
        try register.start()
        defer { register.stop() }
        let companies = register.register.companyNumbers
        try await withService(register, tag: agency) {
            let lookups = try await LookupClient(client: client, requester: Requester(agency: agency, system: "eds"))
            func ask(_ index: Int) async throws -> (LookupReply, Double) {
                let start = ContinuousClock.now
                let reply = try await lookups.lookup(.companyStatus, ["regNumber": companies[index]], purpose: "LIK-2008-tax", timeout: .seconds(5))
                return (reply, (ContinuousClock.now - start).inSeconds * 1000)
            }
            #expect(try await ask(20).0.outcome == .found)
            register.update { $0.downUntil = .distantFuture }
            // The first lookups retry within their deadline and answer unavailable; three failures open the circuit.
            var outcomes: [LookupOutcome] = []
            for index in 21 ..< 24 { outcomes.append(try await ask(index).0.outcome) }
            #expect(outcomes.allSatisfy { $0 == .unavailable || $0 == .timeout }, "\(outcomes)")
            let callsBefore = register.calls
            let (open, milliseconds) = try await ask(24)
            #expect(open.outcome == .unavailable && open.reason == "upstream_down", "the open circuit answers: \(open.outcome) \(open.reason ?? "")")
            // At once, not after retries: no call reaches the register, and no back-off is waited out (they add up to seconds).
            #expect(register.calls == callsBefore, "no call to the register while the circuit is open")
            #expect(milliseconds < 2_000, "\(Int(milliseconds)) ms")
            register.update { $0.downUntil = nil }
            // Back: after the circuit's second, one trial call closes it.
            var back: LookupReply?
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                back = try await ask(25).0
                if back?.outcome == .found { break }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(back?.outcome == .found)
            #expect(try await ask(26).0.outcome == .found)
            await lookups.close()
        }
    }
}
