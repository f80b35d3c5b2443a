import BrokerTestSupport
import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Testing
import Topics

/// The reprocessor against the real broker: dead letters written by the
/// shared failure path, indexed from the topics, replayed and purged.
@Suite("Dead-letter reprocessor against the real broker", .serialized)
struct ReprocessorTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    @Test("list, dry-run, limit, rate, replay once only, purge, all audited")
    func replayAndPurge() async throws {
        let origin = "dlqtest.\(UUID().uuidString.prefix(8).lowercased())"
        try await writeDeadLetters(origin: origin, count: 30, client: client)
        let mine = DeadLetterFilter(topic: origin)
        var index = try await loadIndex(client: client) { $0.query(mine).count == 30 }
        #expect(index.query(mine).count == 30)
        #expect(index.query(DeadLetterFilter(topic: origin, reason: "bad_a")).count == 15)
        #expect(index.stats(mine).byReason == ["permanent/bad_a": 15, "permanent/bad_b": 15])

        let reprocessor = Reprocessor(client: client, logger: logger, transactionalID: "dlq-test-\(origin)")
        var options = Reprocessor.Options(operatorName: "tester")
        options.dryRun = true
        let dry = try await reprocessor.replay(&index, filter: mine, options: options)
        #expect(dry.matched == 30 && dry.done == 0)
        #expect(try await readAll(client: client, origin).isEmpty)

        options.dryRun = false
        options.limit = 10
        #expect(try await reprocessor.replay(&index, filter: mine, options: options).done == 10)
        options.limit = nil
        options.ratePerSecond = 40
        let paced = try await reprocessor.replay(&index, filter: mine, options: options)
        #expect(paced.matched == 20 && paced.done == 20)
        #expect(paced.seconds >= 0.35)  // 20 records at 40/s, less the bucket's first tenth of a second
        #expect(try await reprocessor.replay(&index, filter: mine, options: options).matched == 0)

        // A fresh index, from the topics: every one replayed exactly once.
        let reloaded = try await loadIndex(client: client) { index in
            index.query(mine).count == 30 && index.query(mine).allSatisfy { index.states[$0.id]?.resolution == .replayed }
        }
        let states = reloaded.query(mine).map { reloaded.states[$0.id] }
        #expect(states.count == 30)
        #expect(states.allSatisfy { $0?.resolution == .replayed && $0?.replays == 1 && $0?.by == "tester" })
        let replayed = try await readAtLeast(30, of: origin, client: client)
        #expect(replayed.count == 30)
        #expect(Set(replayed.compactMap { $0.headers.string(ReplayHeaderName.from) }).count == 30)
        #expect(Set(replayed.compactMap { $0.headers.string("hub-event-id") }) == Set((0 ..< 30).map { "ev-\($0)" }))
        #expect(replayed.allSatisfy { record in !record.headers.contains { FailureHeaderName.isFailureHeader($0.key) } })

        var fresh = reloaded
        let purged = try await reprocessor.purge(&fresh, filter: DeadLetterFilter(topic: origin, reason: "bad_b"), options: Reprocessor.Options(operatorName: "tester"))
        #expect(purged.done == 15)
        let afterPurge = try await loadIndex(client: client) { $0.query(mine).count == 15 }
        #expect(afterPurge.query(mine).count == 15)
        #expect(afterPurge.query(DeadLetterFilter(topic: origin, resolutions: [.purged])).count == 15)

        func audit(_ record: KafkaConsumerRecord) -> AuditRecord? {
            record.value.flatMap { try? RecordJSON.foundationDecoder().decode(AuditRecord.self, from: Data($0)) }
        }
        // Four replays (each started and finished) and a purge; read until all nine are readable (see `readAtLeast`).
        let audits = try await readUntil(HubTopics.hubAudit.name, client: client, seconds: 90, keep: { audit($0)?.filters["topic"] == origin },
                                         until: { $0.count >= 9 }).compactMap(audit)
        #expect(audits.filter { $0.action == "dlq.replay" }.map { $0.counts["replayed"] ?? -1 }.sorted() == [0, 0, 10, 20])
        #expect(audits.contains { $0.action == "dlq.replay" && $0.dryRun && $0.counts["matched"] == 30 })
        #expect(audits.contains { $0.action == "dlq.purge" && $0.counts["purged"] == 15 && $0.operatorName == "tester" })
        #expect(audits.filter { $0.action == "dlq.replay.started" }.count == 4)
    }
}
