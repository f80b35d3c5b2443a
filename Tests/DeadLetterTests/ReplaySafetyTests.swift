import BrokerTestSupport
import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import StatusIngest
import StatusIngestService
import Testing
import Topics

/// Replays that must be safe: a reprocessor killed mid-replay, and a replay
/// through a real service after the cause was fixed, done twice.
@Suite("Safe replay against the real broker", .serialized)
struct ReplaySafetyTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    func replay(_ origin: String, operatorName: String, extra: [String] = []) throws -> Process {
        try startChild("hub", arguments: ["dlq", "replay", "--topic", origin] + extra,
                       environment: ["HUB_BOOTSTRAP_SERVERS": LocalBroker.testBootstrap, "HUB_OPERATOR_NAME": operatorName,
                                     "HUB_LOG_LEVEL": "warning"],
                       log: "/tmp/replay-\(operatorName).log")
    }

    @Test("the reprocessor killed mid-replay and run again: nothing replayed twice, nothing skipped")
    func killMidReplay() async throws {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let origin = "killtest.\(tag)"
        let count = 300
        try await writeDeadLetters(origin: origin, count: count, client: client)
        // The reprocessor sees what is stable on the dead-letter topic when it starts; wait until the letters are
        // (on Tansu other suites' parked commits there can hold them back a while), or it finds nothing to replay.
        let loaded = try await loadIndex(client: client) { $0.query(DeadLetterFilter(topic: origin)).count == count }
        #expect(loaded.query(DeadLetterFilter(topic: origin)).count == count)

        let first = try replay(origin, operatorName: "first-\(tag)", extra: ["--rate", "50"])
        let early = try await readUntil(origin, client: client, keep: { _ in true }, until: { $0.count >= 40 || !first.isRunning })
        #expect(first.isRunning, "killed mid-replay, not after it; it said: \((try? String(contentsOfFile: "/tmp/replay-first-\(tag).log", encoding: .utf8)) ?? "")")
        kill(first.processIdentifier, SIGKILL)
        try await waitUntil(seconds: 10) { !first.isRunning }
        #expect(early.count < count)

        let second = try replay(origin, operatorName: "second-\(tag)")
        try await waitUntil(seconds: 60) { !second.isRunning }
        #expect(second.terminationStatus == 0)

        // The committed truth: every dead letter replayed exactly once, by one run or the other.
        let all = DeadLetterFilter(topic: origin, resolutions: Set(DeadLetterState.Resolution.allCases))
        let index = try await loadIndex(client: client) { index in
            index.query(all).count == count && index.query(all).allSatisfy { index.states[$0.id]?.resolution == .replayed }
        }
        let states = index.query(all).map { index.states[$0.id] }
        #expect(states.count == count)
        #expect(states.allSatisfy { $0?.resolution == .replayed && $0?.replays == 1 })
        let byRun = Dictionary(grouping: states.compactMap { $0?.by }, by: { $0 }).mapValues(\.count)
        #expect((byRun["first-\(tag)"] ?? 0) > 0 && (byRun["second-\(tag)"] ?? 0) > 0, "\(byRun)")

        // On the origin topic: every dead letter once. Tansu also shows the
        // batch whose transaction the kill aborted (at most one batch of 5 at
        // 50/s); Apache Kafka hides it from read_committed readers.
        let replayed = try await readUntil(origin, client: client, seconds: 90, keep: { _ in true }, until: { records in
            Set(records.compactMap { $0.headers.string(ReplayHeaderName.from) }).count >= count
        })
        let from = replayed.compactMap { $0.headers.string(ReplayHeaderName.from) }
        #expect(Set(from).count == count, "nothing skipped")
        #expect(from.count <= count + 5, "nothing replayed twice beyond the aborted batch: \(from.count)")
        #expect(Set(replayed.compactMap { $0.headers.string("hub-event-id") }) == Set((0 ..< count).map { "ev-\($0)" }))
    }

    @Test("quarantined for an unknown service, replayed after the catalogue learns it: the events reach history once, however often replayed")
    func replayAfterFix() async throws {
        let agency = "R" + UUID().uuidString.prefix(6).uppercased().replacingOccurrences(of: "-", with: "")
        let eventsTopic = "status.events.\(agency)"
        try await DeadLetterStore.ensureTopics(client: client, logger: logger)
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([eventsTopic, HubTopics.statusHistory.name, HubTopics.statusCurrent.name, HubTopics.catalogueServices.name]
            .map { KafkaTopicSpecification(name: $0, partitions: 3) })
        await admin.close()
        func definition(_ id: String) -> ServiceDefinition {
            ServiceDefinition(serviceId: id, ownerAgency: agency, names: LocalizedText(lv: "Pakalpojums", en: "Service"), steps: [],
                              expectedDays: 5, legalMaximumDays: 10, notifications: [])
        }
        func publish(_ services: [ServiceDefinition]) async throws {
            let file = URL(fileURLWithPath: NSTemporaryDirectory() + "catalogue-\(agency).json")
            try JSONEncoder().encode(services).write(to: file)
            #expect(try await CataloguePublisher.publish(file: file, client: client, logger: logger) == services.count)
        }
        try await publish([definition("\(agency)-OLD")])

        let metrics = MetricsRegistry()
        let ingest = StatusIngestService(client: client, instance: "replay-\(agency)", groupID: "ingest-\(agency)", metrics: metrics, readiness: nil,
                                         logger: logger, hubVersion: "test", pseudonymSecret: "test-secret", crashes: nil,
                                         agencies: [agency])
        let shutdown = ShutdownSignal()
        let running = Task { try await ingest.run(shutdown: shutdown) }

        let ids = (1 ... 3).map { _ in UUID().uuidString.lowercased() }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(ids.enumerated().map { index, id in
            KafkaProducerRecord(topic: eventsTopic, key: Array("\(agency)/C\(index)".utf8), value: Array(
                #"{"eventId":"\#(id)","caseId":"C\#(index)","agency":"\#(agency)","serviceId":"\#(agency)-NEW","channel":"portal","status":"submitted","occurredAt":"2026-11-02T10:00:00+02:00"}"#.utf8))
        })
        await producer.close()
        let mine = { (record: KafkaConsumerRecord) in record.keyString?.hasPrefix("\(agency)/") == true }
        let quarantined = try await readUntil(HubTopics.statusQuarantine.name, client: client, keep: mine, until: { $0.count >= 3 })
        #expect(quarantined.count == 3)
        #expect(quarantined.allSatisfy { $0.headers.string(FailureHeaderName.code) == "unknown_service" })

        // The fix: the catalogue learns the service (the running service follows it).
        try await publish([definition("\(agency)-OLD"), definition("\(agency)-NEW")])
        try await Task.sleep(for: .seconds(1))

        let filter = DeadLetterFilter(topic: eventsTopic, reason: "unknown_service")
        var index = try await loadIndex(client: client) { $0.query(filter).count == 3 }
        let reprocessor = Reprocessor(client: client, logger: logger, transactionalID: "replay-test-\(agency)")
        let firstReplay = try await reprocessor.replay(&index, filter: filter, options: .init(operatorName: "tester"))
        #expect(firstReplay.done == 3, "matched \(firstReplay.matched): \(index.query(filter).map { "\($0.id) \($0.originOffset ?? -1)" })")
        let history = try await readUntil(HubTopics.statusHistory.name, client: client, keep: mine, until: { $0.count >= 3 })
        #expect(Set(history.compactMap { $0.headers.string(EnvelopeHeaderName.eventId) }) == Set(ids))

        // Replayed again (--again): the service drops the repeats by event id.
        var again = filter
        again.resolutions = [.open, .replayed]
        #expect(try await reprocessor.replay(&index, filter: again, options: .init(operatorName: "tester")).done == 3)
        let labels = ["agency": agency, "service": "\(agency)-NEW"]
        try await waitUntil(seconds: 30) { (metrics.value("hub_status_events_duplicate_total", labels: labels) ?? 0) >= 3 }
        shutdown.trigger()
        try await running.value
        let finalHistory = try await readAll(client: client, HubTopics.statusHistory.name).filter(mine)
        #expect(finalHistory.count == 3, "one history record per event, after two replays: \(finalHistory.map { "\($0.partition)/\($0.offset) \($0.headers.string(EnvelopeHeaderName.eventId) ?? "-")" })")
        #expect(try await readAll(client: client, HubTopics.statusQuarantine.name).filter(mine).count == 3, "nothing quarantined again")
    }
}
