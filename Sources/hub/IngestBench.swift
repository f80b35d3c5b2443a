import Foundation
import HubLogging
import HubRuntime
import Kafka
import StatusIngest
import StatusIngestService
import Topics

/// `hub bench ingest`: N status events through the status-ingest service,
/// timed from publish to `status.history` (written in the same transaction
/// as `status.current`), beside a kcat pipe over the same records.
enum IngestBench {
    static func run(records: Int, json: Bool, context: HubContext, kcat: String) async throws {
        let logger = Logger(component: "bench", threshold: .warning)
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        let bootstrap = client["bootstrap.servers"]!
        let tag = UUID().uuidString.prefix(6).uppercased().replacingOccurrences(of: "-", with: "")
        let agency = "BENCH\(tag)"
        let input = "status.events.\(agency)", kcatOut = "bench.kcat.\(tag.lowercased())"
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([input, kcatOut, HubTopics.statusHistory.name, HubTopics.statusCurrent.name,
                                          HubTopics.statusQuarantine.name, HubTopics.catalogueServices.name, HubTopics.hubDeadLetter.name]
            .map { KafkaTopicSpecification(name: $0, partitions: 6) })
        await admin.close()
        let service = ServiceDefinition(serviceId: "\(agency)-SVC", ownerAgency: agency, names: LocalizedText(lv: "Etalons", en: "Benchmark"),
                                        expectedDays: 5, legalMaximumDays: 10)
        let file = URL(fileURLWithPath: NSTemporaryDirectory() + "bench-catalogue-\(tag).json")
        try JSONEncoder().encode([service]).write(to: file)
        _ = try await CataloguePublisher.publish(file: file, client: client, logger: logger)

        // Three events per case: submitted, in progress, completed. The publish time rides in `note`.
        func events(from: Int, to: Int) -> [KafkaProducerRecord] {
            (from..<to).map { index in
                let caseIndex = index / 3
                let (status, day) = [("submitted", 1), ("in_progress", 2), ("completed", 3)][index % 3]
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let value = #"{"eventId":"\#(UUID.random().lowercasedString)","caseId":"C\#(caseIndex)","agency":"\#(agency)","serviceId":"\#(agency)-SVC","channel":"eservice","status":"\#(status)","occurredAt":"2025-03-0\#(day)T10:00:00+02:00","note":"\#(now)"}"#
                return KafkaProducerRecord(topic: input, key: "\(agency)/C\(caseIndex)", value: value)
            }
        }

        let metrics = MetricsRegistry()
        let ingest = StatusIngestService(client: client, instance: "bench-\(tag)", groupID: "bench-ingest-\(tag)", metrics: metrics,
                                         readiness: nil, logger: logger, hubVersion: VersionCommand.hubVersion,
                                         pseudonymSecret: HubConfiguration.developmentPseudonymSecret)
        let shutdown = ShutdownSignal()
        let running = Task { try await ingest.run(shutdown: shutdown) }

        var readerConfiguration = KafkaConsumerConfiguration(client: client, groupID: "bench-reader-\(tag)")
        readerConfiguration.startFromEarliest = false
        readerConfiguration.sessionTimeoutMilliseconds = 6_000
        readerConfiguration.enableAutoCommit = false
        readerConfiguration.revokeGraceMilliseconds = 0
        let reader = try KafkaConsumer(configuration: readerConfiguration, subscription: .topics([HubTopics.statusHistory.name]), logger: logger)
        // Both the service and the reader must be in their groups before the clock starts.
        while reader.assignment.isEmpty || metrics.value("hub_transactions_total", labels: ["stage": "status-ingest", "outcome": "committed"]) == nil {
            if reader.assignment.isEmpty { _ = await reader.nextBatch(max: 1, timeout: .milliseconds(200)) }
            if metrics.value("hub_transactions_total", labels: ["stage": "status-ingest", "outcome": "committed"]) == nil {
                // A warm-up event opens the pipeline.
                let warm = KafkaProducerRecord(topic: input, key: "\(agency)/WARM",
                                               value: #"{"eventId":"\#(UUID.random().lowercasedString)","caseId":"WARM","agency":"\#(agency)","serviceId":"\#(agency)-SVC","channel":"eservice","status":"submitted","occurredAt":"2025-03-01T10:00:00+02:00"}"#)
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
                _ = try await producer.send(warm)
                await producer.close()
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        _ = await reader.nextBatch(max: 10_000, timeout: .seconds(1))  // drain the warm-up

        BenchCommand.status("publishing \(records) events to \(input) while the service runs")
        let start = ContinuousClock.now
        let publisher = Task {
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
            for from in stride(from: 0, to: records, by: 5_000) { _ = try await producer.sendAll(events(from: from, to: min(records, from + 5_000))) }
            await producer.close()
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(records)
        let deadline = ContinuousClock.now + .seconds(600)
        while latencies.count < records, ContinuousClock.now < deadline {
            let batch = await reader.nextBatch(max: 5_000, timeout: .seconds(1))
            let now = Date().timeIntervalSince1970 * 1000
            for record in batch where record.keyString?.hasPrefix("\(agency)/C") == true {
                if let value = record.value, let sent = publishTime(in: value) { latencies.append(now - sent) }
            }
        }
        let seconds = BenchCommand.seconds(ContinuousClock.now - start)
        try await publisher.value
        shutdown.trigger()
        try await running.value
        await reader.close()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)

        BenchCommand.status("baseline: kcat -C | kcat -P over the same events")
        let baselineStart = ContinuousClock.now
        try BenchCommand.runShell("'\(kcat)' -C -b \(bootstrap) -t \(input) -o beginning -e -q | '\(kcat)' -P -b \(bootstrap) -t \(kcatOut)")
        let baselineSeconds = BenchCommand.seconds(ContinuousClock.now - baselineStart)

        let throughput = Double(latencies.count) / seconds
        let baseline = Double(records) / baselineSeconds
        latencies.sort()
        let p50 = BenchCommand.percentile(latencies, 0.5), p99 = BenchCommand.percentile(latencies, 0.99)
        let peakMB = Double(usage.ru_maxrss) / 1024
        let cases = records / 3
        print("")
        print("bench ingest: \(records) events (\(cases) cases, 3 events each), 6 partitions, broker \(broker == nil ? bootstrap : "local Tansu")")
        print(BenchCommand.pad("", 34) + BenchCommand.pad("events/s", 12) + BenchCommand.pad("seconds", 10) + BenchCommand.pad("p50 ms", 10)
              + BenchCommand.pad("p99 ms", 10) + "peak RSS MB")
        print(BenchCommand.pad("kcat -C | kcat -P (baseline)", 34) + BenchCommand.pad(BenchCommand.format(baseline, 0), 12)
              + BenchCommand.pad(BenchCommand.format(baselineSeconds, 2), 10) + BenchCommand.pad("-", 10) + BenchCommand.pad("-", 10) + "-")
        print(BenchCommand.pad("status-ingest (transactional)", 34) + BenchCommand.pad(BenchCommand.format(throughput, 0), 12)
              + BenchCommand.pad(BenchCommand.format(seconds, 2), 10) + BenchCommand.pad(BenchCommand.format(p50, 1), 10)
              + BenchCommand.pad(BenchCommand.format(p99, 1), 10) + BenchCommand.format(peakMB, 1))
        print("ratio \(BenchCommand.format(throughput / baseline, 2))x the kcat pipe (goal: at least 0.5x); \(latencies.count) of \(records) events reached status.history")
        print("latency: publish (producer clock) to the event readable in status.history, written in the same transaction as status.current")
        print("peak RSS covers the whole bench process (service, publisher and reader) holding \(cases + 1) case states")
        if json {
            let object: [String: Any] = [
                "bench": "ingest", "records": records, "seconds": BenchCommand.rounded(seconds, 3),
                "throughput": BenchCommand.rounded(throughput, 1), "baseline_throughput": BenchCommand.rounded(baseline, 1),
                "ratio": BenchCommand.rounded(throughput / baseline, 3), "p50_ms": BenchCommand.rounded(p50, 3),
                "p99_ms": BenchCommand.rounded(p99, 3), "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// The publish time the bench put in `note`, found without parsing the whole record (the reader shares the CPU).
    static func publishTime(in value: [UInt8]) -> Double? {
        let marker = Array(#""note":""#.utf8)
        guard let start = value.indices.first(where: { value[$0...].starts(with: marker) }) else { return nil }
        let digits = value[(start + marker.count)...].prefix { $0 != UInt8(ascii: "\"") }
        return Double(String(decoding: digits, as: UTF8.self))
    }
}
