import BrokerTestSupport
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import StatusIngest
import StatusIngestService
import Testing
import Topics

/// The service against the real broker, fed by kcat (a client no one here
/// wrote): every input ends in exactly one of history, quarantine, dead
/// letter or the duplicate count, and status.current matches the events.
@Suite("Status ingestion against the real broker", .serialized)
struct StatusIngestServiceTests {
    @Test("a scripted day: duplicates, late, unknown, illegal and malformed events each end in their place")
    func scriptedDay() async throws {
        let agency = "T" + UUID().uuidString.prefix(6).uppercased().replacingOccurrences(of: "-", with: "")
        let (client, logger, eventsTopic) = try await prepareIngestTopics(agency: agency)

        let service = ServiceDefinition(
            serviceId: "\(agency)-SVC", ownerAgency: agency, names: LocalizedText(lv: "Pakalpojums", en: "Service"),
            steps: [ServiceStep(code: "a", names: LocalizedText(lv: "A"), expectedDays: 2),
                    ServiceStep(code: "b", names: LocalizedText(lv: "B"), expectedDays: 3)],
            expectedDays: 5, legalMaximumDays: 10,
            notifications: [TransitionNotice(status: .completed, messageClass: .official)])
        let catalogueFile = URL(fileURLWithPath: NSTemporaryDirectory() + "catalogue-\(agency).json")
        try JSONEncoder().encode([service]).write(to: catalogueFile)
        #expect(try await CataloguePublisher.publish(file: catalogueFile, client: client, logger: logger) == 1)

        let metrics = MetricsRegistry()
        let ingest = StatusIngestService(client: client, instance: "test-\(agency)", groupID: "ingest-\(agency)", metrics: metrics, readiness: nil,
                                         logger: logger, hubVersion: "test", pseudonymSecret: "test-secret",
                                         crashes: CrashJournal.Settings(directory: NSTemporaryDirectory() + "/hub-test-\(agency)"), agencies: [agency])
        let shutdown = ShutdownSignal()
        let running = Task { try await ingest.run(shutdown: shutdown) }

        func json(_ id: String, _ caseId: String, _ status: String, day: Int, step: String? = nil,
                  service: String? = nil, claimedAgency: String? = nil, client: Bool = false) -> String {
            let stepField = (step.map { #","step":"\#($0)""# } ?? "") + (client ? #","client":{"type":"person","id":"010190-10000"}"# : "")
            return #"{"eventId":"\#(id)","caseId":"\#(caseId)","agency":"\#(claimedAgency ?? agency)","serviceId":"\#(service ?? "\(agency)-SVC")","channel":"eservice","status":"\#(status)","occurredAt":"2025-03-0\#(day)T10:00:00+02:00"\#(stepField)}"#
        }
        let ids = (0..<12).map { _ in UUID().uuidString.lowercased() }
        let lines = [
            "\(agency)/C1|" + json(ids[1], "C1", "submitted", day: 1, step: "a"),          // accepted
            "\(agency)/C1|" + json(ids[1], "C1", "submitted", day: 1, step: "a"),          // duplicate
            "\(agency)/C1|" + json(ids[3], "C1", "in_progress", day: 3, step: "b"),        // accepted
            "\(agency)/C1|" + json(ids[4], "C1", "accepted", day: 2, step: "a"),           // late: history only
            "\(agency)/C1|" + json(ids[5], "C1", "completed", day: 4, step: "b", client: true),  // accepted, notifies
            "\(agency)/C1|" + json(ids[6], "C1", "in_progress", day: 5, step: "b"),        // illegal: quarantine
            "\(agency)/C2|" + json(ids[7], "C2", "submitted", day: 1, service: "NOPE"),    // unknown service: quarantine
            "\(agency)/C3|" + json(ids[8], "C3", "submitted", day: 1, step: "zzz"),        // unknown step: quarantine
            "\(agency)/C5|{not json",                                                     // dead letter
            "\(agency)/C6|" + json(ids[10], "C6", "submitted", day: 1, claimedAgency: "VID"), // agency mismatch: dead letter
            "\(agency)/C4|" + json(ids[11], "C4", "submitted", day: 1),                   // minimal: accepted
        ]
        try await kcatProduce(lines, topic: eventsTopic)

        let history = try await collectOutputs(HubTopics.statusHistory.name, client: client, keyPrefix: "\(agency)/", count: 5)
        let quarantine = try await collectOutputs(HubTopics.statusQuarantine.name, client: client, keyPrefix: "\(agency)/", count: 3)
        let deadLetters = try await collectOutputs(HubTopics.hubDeadLetter.name, client: client, keyPrefix: "\(agency)/", count: 2)
        let clientKey = ClientPseudonym.key(for: PartyReference(type: .person, id: "010190-10000"), secret: "test-secret")
        let requests = try await collectOutputs(HubTopics.notifyRequests.name, client: client, keyPrefix: clientKey, count: 1)
        let current = try await TopicSnapshot.latestByKey(topic: HubTopics.statusCurrent.name, client: client, logger: logger)
        shutdown.trigger()
        try await running.value

        #expect(Set(history.compactMap { eventId(of: $0) }) == Set([ids[1], ids[3], ids[4], ids[5], ids[11]]))
        #expect(history.count == 5, "the duplicate is not written")
        #expect(Set(quarantine.compactMap { $0.headers.string(FailureHeaderName.code) })
                == ["illegal_transition", "unknown_service", "unknown_step"])
        #expect(Set(deadLetters.compactMap { $0.headers.string(FailureHeaderName.code) }) == ["invalid_json", "agency_mismatch"])
        #expect(deadLetters.allSatisfy { $0.headers.string(FailureHeaderName.topic) == eventsTopic })
        #expect(metrics.value("hub_status_events_duplicate_total", labels: ["agency": agency, "service": "\(agency)-SVC"]) == 1)

        // Only the completion notifies, and the request names the client by pseudonym alone.
        #expect(requests.count == 1)
        let request = try RecordJSON.decode(NotificationRequest.self, from: Data(try #require(requests.first?.value)))
        #expect(request.requestId.uuidString.lowercased() == ids[5])
        #expect(request.messageClass == .official && request.status == .completed)
        let requestText = requests.first?.valueString ?? ""
        #expect(requestText.contains("010190") == false, "no person code in the request")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let case1 = try decoder.decode(CaseState.self, from: Data(try #require(current["\(agency)/C1"])))
        #expect(case1.status == .completed)
        #expect(case1.secondsPerStep["a"] == 2.0 * 86_400)
        #expect(case1.secondsPerStep["b"] == 1.0 * 86_400)
        #expect(case1.elapsedSeconds == 3.0 * 86_400)
        let case4 = try decoder.decode(CaseState.self, from: Data(try #require(current["\(agency)/C4"])))
        #expect(case4.status == .submitted)
        #expect(current["\(agency)/C2"] == nil)
    }
}

extension StatusIngestServiceTests {
    /// kill -9 while a real `hub ingest` process is busy, then start it again.
    @Test("a crash mid-stream and a restart: no event lost, no case counted twice")
    func crashAndRestart() async throws {
        let agency = "K" + UUID().uuidString.prefix(6).uppercased().replacingOccurrences(of: "-", with: "")
        let (client, logger, eventsTopic) = try await prepareIngestTopics(agency: agency)
        let service = ServiceDefinition(serviceId: "\(agency)-SVC", ownerAgency: agency, names: LocalizedText(lv: "P"),
                                        expectedDays: 5, legalMaximumDays: 10)
        let catalogueFile = URL(fileURLWithPath: NSTemporaryDirectory() + "catalogue-\(agency).json")
        try JSONEncoder().encode([service]).write(to: catalogueFile)
        _ = try await CataloguePublisher.publish(file: catalogueFile, client: client, logger: logger)

        let cases = 1_000
        var records: [KafkaProducerRecord] = []
        var allIds = Set<String>()
        for index in 0..<cases {
            for (day, status) in [(1, "submitted"), (2, "in_progress"), (3, "completed")] {
                let id = UUID().uuidString.lowercased()
                allIds.insert(id)
                let value = #"{"eventId":"\#(id)","caseId":"C\#(index)","agency":"\#(agency)","serviceId":"\#(agency)-SVC","channel":"portal","status":"\#(status)","occurredAt":"2025-03-0\#(day)T10:00:00+02:00"}"#
                records.append(KafkaProducerRecord(topic: eventsTopic, key: "\(agency)/C\(index)", value: value))
            }
        }
        let expected = allIds
        // 600 events wait for the service; the rest arrive once it runs (200 every 100 ms), so the kill always
        // comes mid-stream: with all 3,000 waiting up front, the service could finish them between the
        // reader's count and the kill.
        let head = 600
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(Array(records[..<head]))

        // Watch status.history for this agency's event ids.
        var readerConfiguration = KafkaConsumerConfiguration(client: client, groupID: "crash-reader-\(agency)")
        readerConfiguration.sessionTimeoutMilliseconds = 6_000
        readerConfiguration.readCommitted = true
        let reader = try KafkaConsumer(configuration: readerConfiguration, subscription: .topics([HubTopics.statusHistory.name]), logger: logger)
        let seen = SeenIds()
        let reading = Task {
            while true {
                let batch = await reader.nextBatch(max: 1_000)
                if batch.isEmpty { return }
                seen.add(batch.filter { $0.keyString?.hasPrefix("\(agency)/") == true }.compactMap { eventId(of: $0) })
            }
        }

        let first = try startIngest(instance: "crash-\(agency)", agency: agency)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await waitUntil(seconds: 90) { seen.total >= 300 }
        let rest = Array(records[head...])
        let publishing = Task {
            for start in stride(from: 0, to: rest.count, by: 200) {
                _ = try await producer.sendAll(Array(rest[start ..< min(rest.count, start + 200)]))
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        try await waitUntil(seconds: 90) { seen.total >= 900 }
        kill(first.processIdentifier, SIGKILL)
        try await waitUntil(seconds: 10) { !first.isRunning }
        let atCrash = seen.distinct
        #expect(atCrash < allIds.count, "the crash came mid-stream")

        let second = try startIngest(instance: "crash-\(agency)", agency: agency)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        try await publishing.value
        await producer.close()
        try await waitUntil(seconds: 120) { seen.distinct >= expected.count }
        try await Task.sleep(for: .seconds(2))
        kill(second.processIdentifier, SIGTERM)
        try await waitUntil(seconds: 30) { !second.isRunning }
        #expect(second.terminationStatus == 0)
        reader.stopFetching()
        _ = await reading.value
        await reader.close()

        #expect(seen.distinctIds == allIds, "no event lost")
        // Tansu shows an aborted transaction's records; Apache Kafka does not. Readers de-duplicate by event id.
        #expect(seen.total >= allIds.count)

        let current = try await TopicSnapshot.latestByKey(topic: HubTopics.statusCurrent.name, client: client, logger: logger)
        let states = current.filter { $0.key.hasPrefix("\(agency)/") }.values.compactMap { try? RecordJSON.decode(CaseState.self, from: Data($0)) }
        #expect(states.count == cases)
        #expect(states.allSatisfy { $0.status == .completed && $0.iteration == 1 && $0.elapsedSeconds == 2.0 * 86_400 && $0.periods.count == 3 },
                "each case counted once: three periods, two days")
    }
}

final class SeenIds: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String] = []
    private var unique = Set<String>()
    func add(_ more: [String]) { lock.lock(); ids += more; unique.formUnion(more); lock.unlock() }
    var total: Int { lock.lock(); defer { lock.unlock() }; return ids.count }
    var distinct: Int { lock.lock(); defer { lock.unlock() }; return unique.count }
    var distinctIds: Set<String> { lock.lock(); defer { lock.unlock() }; return unique }
}

func startIngest(instance: String, agency: String) throws -> Process {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let process = Process()
    process.executableURL = root.appendingPathComponent(".build/debug/hub")
    process.arguments = ["ingest"]
    var environment = ProcessInfo.processInfo.environment
    // The hub refuses unknown HUB_* keys: pass on only the ones set here.
    for key in environment.keys where key.hasPrefix("HUB_") { environment[key] = nil }
    environment["HUB_BOOTSTRAP_SERVERS"] = IngestTestKafka.bootstrap
    environment["HUB_HUB_INSTANCE"] = instance
    environment["HUB_INGEST_GROUP"] = "ingest-\(instance)"
    // Only this test's topic: other tests' services run beside it on the same broker.
    environment["HUB_INGEST_AGENCIES"] = agency
    environment["HUB_LOG_LEVEL"] = "info"
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    _ = FileManager.default.createFile(atPath: "/tmp/ingest-\(instance).log", contents: nil)
    process.standardError = FileHandle(forWritingAtPath: "/tmp/ingest-\(instance).log")
    try process.run()
    return process
}


func eventId(of record: KafkaConsumerRecord) -> String? {
    guard let value = record.value, let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any] else { return nil }
    return (object["eventId"] as? String)?.lowercased()
}

/// Sends `key|value` lines with kcat, a client no one here wrote.
func kcatProduce(_ lines: [String], topic: String) async throws {
    try await kcat(lines, topic: topic)
}

/// Reads `topic` from the start until `count` records with keys under `keyPrefix` arrived (or 60 s).
func collectOutputs(_ topic: String, client: KafkaClientProperties, keyPrefix: String, count: Int) async throws -> [KafkaConsumerRecord] {
    var configuration = KafkaConsumerConfiguration(client: client, groupID: "check-\(UUID().uuidString.prefix(8))")
    configuration.sessionTimeoutMilliseconds = 6_000
    configuration.enableAutoCommit = false
    configuration.revokeGraceMilliseconds = 0
    let consumer = try KafkaConsumer(configuration: configuration, subscription: .topics([topic]), logger: Logger(component: "test", threshold: .error))
    var found: [KafkaConsumerRecord] = []
    let deadline = ContinuousClock.now + .seconds(60)
    while found.count < count, ContinuousClock.now < deadline {
        found += await consumer.nextBatch(max: 1_000, timeout: .milliseconds(500)).filter { $0.keyString?.hasPrefix(keyPrefix) == true }
    }
    // Anything extra (a duplicate) would arrive within a moment.
    found += await consumer.nextBatch(max: 1_000, timeout: .seconds(1)).filter { $0.keyString?.hasPrefix(keyPrefix) == true }
    await consumer.close()
    return found
}

/// Creates the agency's events topic and the topics status-ingest writes.
func prepareIngestTopics(agency: String) async throws -> (KafkaClientProperties, Logger, String) {
    let client = KafkaClientProperties(bootstrapServers: IngestTestKafka.bootstrap)
    let logger = Logger(component: "test", threshold: .warning)
    let eventsTopic = "status.events.\(agency)"
    let admin = try KafkaAdmin(client: client, logger: logger)
    _ = try await admin.createTopics([eventsTopic, HubTopics.statusHistory.name, HubTopics.statusCurrent.name,
                                      HubTopics.statusQuarantine.name, HubTopics.catalogueServices.name, HubTopics.hubDeadLetter.name]
        .map { KafkaTopicSpecification(name: $0, partitions: 3) })
    await admin.close()
    return (client, logger, eventsTopic)
}

enum IngestTestKafka {
    static var bootstrap: String { LocalBroker.testBootstrap }
}
