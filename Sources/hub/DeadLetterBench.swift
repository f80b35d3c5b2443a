import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Topics

/// `hub bench dlq`: N dead letters indexed from the topics, listed and
/// counted, then replayed, beside a kcat pipe over the same records.
enum DeadLetterBench {
    static func run(records: Int, json: Bool, context: HubContext, kcat: String) async throws {
        let logger = Logger(component: "bench", threshold: .warning)
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        let bootstrap = client["bootstrap.servers"]!
        let tag = UUID().uuidString.prefix(8).lowercased()
        let origin = "bench.dlq.\(tag)", kcatOut = "bench.kcat.\(tag)"
        try await DeadLetterStore.ensureTopics(client: client, logger: logger)
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([origin, kcatOut].map { KafkaTopicSpecification(name: $0, partitions: 3) })
        await admin.close()

        // Dead letters as the failure path writes them: a status event with its envelope, and every hub.errors.* header.
        BenchCommand.status("writing \(records) dead letters from \(origin)")
        let routing = FailureRouting(service: "status-ingest", ladder: .none, hubVersion: VersionCommand.hubVersion)
        let reasons = ["missing_field", "invalid_value", "agency_mismatch", "too_large", "invalid_json"]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        for from in stride(from: 0, to: records, by: 10_000) {
            _ = try await producer.sendAll((from ..< min(records, from + 10_000)).map { index in
                let source = KafkaConsumerRecord(
                    topic: origin, partition: Int32(index % 3), offset: Int64(index / 3), key: Array("VID/case-\(index)".utf8),
                    value: Array(BenchCommand.sampleEvent(index).utf8),
                    headers: [KafkaHeader(key: EnvelopeHeaderName.eventId, string: UUID.random().lowercasedString)],
                    timestampMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
                return routing.route(source, failure: RecordFailure(.permanent, code: reasons[index % reasons.count],
                                                                    message: "benchmark dead letter", stage: "intake", path: "$.status"))
            })
        }
        await producer.close()

        BenchCommand.status("indexing hub.deadletter, the quarantine and the states")
        let rssBefore = residentMegabytes()
        let loadStart = ContinuousClock.now
        var index = try await DeadLetterStore.load(client: client, logger: logger)
        let loadSeconds = (ContinuousClock.now - loadStart).inSeconds
        let indexMB = max(0, residentMegabytes() - rssBefore)
        let mine = DeadLetterFilter(topic: origin)
        let indexed = index.query(mine).count

        // What an operator runs after the load: list (newest 50), a reason filter, stats.
        func timed(_ body: () -> Void) -> Double {
            let start = ContinuousClock.now
            body()
            return (ContinuousClock.now - start).inSeconds * 1000
        }
        let listMs = timed { _ = index.query(mine, limit: 50) }
        let scanMs = timed { _ = index.query(mine) }
        let reasonMs = timed { _ = index.query(DeadLetterFilter(topic: origin, reason: "too_large"), limit: 50) }
        let statsMs = timed { _ = index.stats(mine) }

        BenchCommand.status("replaying all \(indexed) to \(origin)")
        let reprocessor = Reprocessor(client: client, logger: logger, transactionalID: "bench-dlq-\(tag)")
        let outcome = try await reprocessor.replay(&index, filter: mine, options: .init(operatorName: "bench"))
        await reprocessor.close()
        let replayRate = Double(outcome.done) / outcome.seconds

        let (baselineSeconds, baselineExit) = try await BenchCommand.kcatBaseline(kcat: kcat, client: client, bootstrap: bootstrap, topic: origin, to: kcatOut, records: records, logger: logger)
        let baseline = Double(records) / baselineSeconds
        let peakMB = BenchCommand.peakMegabytes()

        let pad = BenchCommand.pad, format = BenchCommand.format
        print("")
        print("bench dlq: \(records) dead letters (\(indexed) indexed), broker \(broker == nil ? bootstrap : "local Tansu")")
        print(pad("", 40) + pad("records/s", 12) + pad("seconds", 10) + "ms")
        print(pad("kcat -C | kcat -P (baseline)", 40) + pad(format(baseline, 0), 12) + pad(format(baselineSeconds, 2), 10) + "-")
        print(pad("index load (3 topics, from the start)", 40) + pad(format(Double(indexed) / loadSeconds, 0), 12) + pad(format(loadSeconds, 2), 10) + "-")
        print(pad("replay (transactional, marks state)", 40) + pad(format(replayRate, 0), 12) + pad(format(outcome.seconds, 2), 10) + "-")
        print(pad("list: first 50 of one origin", 40) + pad("-", 12) + pad("-", 10) + format(listMs, 2))
        print(pad("list: all of one origin", 40) + pad("-", 12) + pad("-", 10) + format(scanMs, 2))
        print(pad("list: one origin and reason", 40) + pad("-", 12) + pad("-", 10) + format(reasonMs, 2))
        print(pad("stats: one origin", 40) + pad("-", 12) + pad("-", 10) + format(statsMs, 2))
        print("replay ratio \(format(replayRate / baseline, 2))x the kcat pipe; " + BenchCommand.baselineNote(exitSeconds: baselineExit))
        print("hub dlq list as an operator runs it (index load + query): \(format(loadSeconds + listMs / 1000, 2)) s")
        print("memory: index about \(format(indexMB, 1)) MB resident for \(indexed) dead letters; peak RSS \(format(peakMB, 1)) MB")
        if json {
            let object: [String: Any] = [
                "bench": "dlq", "records": records, "index_seconds": BenchCommand.rounded(loadSeconds, 3),
                "replay_throughput": BenchCommand.rounded(replayRate, 1), "baseline_throughput": BenchCommand.rounded(baseline, 1), "baseline_exit_seconds": BenchCommand.rounded(baselineExit, 3),
                "ratio": BenchCommand.rounded(replayRate / baseline, 3), "list_ms": BenchCommand.rounded(listMs, 3), "scan_ms": BenchCommand.rounded(scanMs, 3),
                "stats_ms": BenchCommand.rounded(statsMs, 3), "index_mb": BenchCommand.rounded(indexMB, 1),
                "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// The process's resident set now, from /proc (Linux).
    static func residentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
