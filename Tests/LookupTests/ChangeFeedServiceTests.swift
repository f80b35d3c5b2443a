import BrokerTestSupport
import DAGRConnector
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Lookups
import LookupService
import Sandboxes
import Testing
import Topics

/// The change feed on the real broker with the register emulator as its source. Each test has its own
/// register name (the cursor's key), so runs and tests do not share a position.
@Suite("Register change feed over the bus", .serialized)
struct ChangeFeedServiceTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    func prepare() async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        let names = [HubTopics.dagrChanges, HubTopics.dagrChangesCursor, HubTopics.hubDeadLetter]
        _ = try await admin.createTopics(names.map { KafkaTopicSpecification(name: $0.name, partitions: Int32($0.partitions)) })
        await admin.close()
    }

    /// Runs a feed until `body` returns.
    func withFeed(_ register: DAGRRegister, name: String, _ body: () async throws -> Void) async throws {
        let readiness = Readiness()
        let feed = ChangeFeedService(source: DAGRConnector(baseURL: register.baseURL), pseudonymSecret: "test-secret", client: client,
                                     instance: "feed-\(name)", settings: .init(pollEvery: .milliseconds(100), pageSize: 2, register: name),
                                     metrics: MetricsRegistry(), readiness: readiness, logger: logger, hubVersion: "test")
        try await whileRunning(feed, ready: { readiness.isReady }, body)
    }

    /// This register's changes on dagr.changes (its ids count on from its own start time), until `count` are there, by id.
    func published(by register: DAGRRegister, firstId: Int, count: Int, seconds: Int = 60) async throws -> [RegisterChange] {
        try await readUntil(HubTopics.dagrChanges.name, client: client, seconds: seconds, keep: { record in
            (record.value.flatMap { try? RecordJSON.decode(RegisterChange.self, from: Data($0)) }?.changeId ?? 0) >= firstId
        }, until: { $0.count >= count }).compactMap { $0.value.flatMap { try? RecordJSON.decode(RegisterChange.self, from: Data($0)) } }
            .sorted { $0.changeId < $1.changeId }  // one object's changes are in order on its partition; across partitions, by id
    }

    @Test("each change once, in order, persons by client key only; a restarted feed goes on from its cursor; an outage delays and loses nothing; a malformed entry is dead-lettered")
    func feed() async throws {
        try await prepare()
        let name = "test-" + UUID().uuidString.prefix(8).lowercased()
        let register = DAGRRegister()
        try register.start()
        defer { register.stop() }
        let codes = register.register
        let company = codes.companyNumbers[1], address = codes.addressCodes[1], person = codes.personCodes[1]
        let firstId = try #require(register.liquidate(company: company)).changeId
        register.change(.init(kind: "address.changed", key: address, value: "Tērbatas iela 5, Rīga, LV-1011"))
        register.change(.init(kind: "person.deceased", key: person))

        try await withFeed(register, name: name) {
            let first = try await published(by: register, firstId: firstId, count: 3)
            #expect(first.map(\.kind) == ["company.liquidated", "address.changed", "person.deceased"])
            #expect(first.map(\.objectKey) == [company, address, ClientPseudonym.key(for: PartyReference(type: .person, id: person), secret: "test-secret")])
            // While the register is down the feed waits; what changed meanwhile comes when it is back.
            register.update { $0.downUntil = Date().addingTimeInterval(1.5) }
            register.change(.init(kind: "company.renamed", key: company, value: "SIA \"Jaunais\""))
            try await Task.sleep(for: .seconds(2))
            _ = try await published(by: register, firstId: firstId, count: 4)
        }
        #expect(try await ChangeFeedService.committedCursor(register: name, client: client, logger: logger) == firstId + 3)

        // Stopped, changes happen, started again: only the new ones, the malformed one dead-lettered with its reason.
        let malformedId = firstId + 4
        register.listMalformedChange()
        register.change(.init(kind: "company.liquidated", key: codes.companyNumbers[2]))
        try await withFeed(register, name: name) {
            _ = try await published(by: register, firstId: firstId, count: 5)
        }
        let all = try await published(by: register, firstId: firstId, count: 5)
        try await Task.sleep(for: .seconds(1))
        let settled = try await published(by: register, firstId: firstId, count: 5, seconds: 5)
        #expect(settled.count == 5, "each change once (\(settled.count))")
        #expect(all.map(\.changeId) == [firstId, firstId + 1, firstId + 2, firstId + 3, firstId + 5])
        let letters = try await readUntil(HubTopics.hubDeadLetter.name, client: client, keep: { record in
            record.headers.string(FailureHeaderName.service) == "dagr-changes" && record.headers.string(FailureHeaderName.offset) == String(malformedId)
        }, until: { !$0.isEmpty })
        #expect(letters.first?.headers.string(FailureHeaderName.code) == "bad_key")
        #expect(letters.first.flatMap { $0.value }.map { String(decoding: $0, as: UTF8.self).contains("not-a-person-code") } == false)
        #expect(try await ChangeFeedService.committedCursor(register: name, client: client, logger: logger) == firstId + 5)

        // No person code in anything the feed wrote.
        let everything = try await readUntil(HubTopics.dagrChanges.name, client: client, seconds: 5, keep: { _ in true }, until: { _ in false })
        let text = everything.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }.joined()
        #expect(!text.contains(person) && !text.contains(person.replacingOccurrences(of: "-", with: "")))
    }
}
