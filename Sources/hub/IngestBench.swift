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
        @Sendable func events(_ range: Range<Int>, prefix: String) -> [KafkaProducerRecord] {
            range.map { index in
                let caseIndex = index / 3
                let (status, day) = [("submitted", 1), ("in_progress", 2), ("completed", 3)][index % 3]
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let value = #"{"eventId":"\#(UUID.random().lowercasedString)","caseId":"\#(prefix)\#(caseIndex)","agency":"\#(agency)","serviceId":"\#(agency)-SVC","channel":"eservice","status":"\#(status)","occurredAt":"2025-03-0\#(day)T10:00:00+02:00","note":"\#(now)"}"#
                return KafkaProducerRecord(topic: input, key: "\(agency)/\(prefix)\(caseIndex)", value: value)
            }
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)

        // Phase 1, throughput: the events wait in the topic, as the kcat pipe's do; the clock runs
        // from the service's partition assignment to its last committed transaction.
        BenchCommand.status("loading \(records) events into \(input)")
        for from in stride(from: 0, to: records, by: 5_000) { _ = try await producer.sendAll(events(from..<min(records, from + 5_000), prefix: "T")) }
        let metrics = MetricsRegistry()
        let readiness = Readiness()
        let ingest = StatusIngestService(client: client, instance: "bench-\(tag)", groupID: "bench-ingest-\(tag)", metrics: metrics,
                                         readiness: readiness, logger: logger, hubVersion: VersionCommand.hubVersion,
                                         pseudonymSecret: HubConfiguration.developmentPseudonymSecret,
                                         crashes: try HubConfiguration().crashJournal())
        let shutdown = ShutdownSignal()
        // With the CPU this process and the broker used meanwhile: steadier from run to run than events/s.
        let drainedRun = try await BenchCommand.drain(ingest, stage: "status-ingest", records: records, metrics: metrics,
                                                      readiness: readiness, shutdown: shutdown, broker: broker?.processID)
        let (seconds, drained, running) = (drainedRun.seconds, drainedRun.committed, drainedRun.running)
        let (hubMicros, brokerMicros) = drainedRun.microsPerRecord
        let throughput = Double(drained) / seconds

        // Phase 2, latency: new cases at half that rate, publish to readable in status.history.
        let latencyRecords = min(records, 15_000) / 3 * 3
        let rate = max(100, throughput / 2)
        let reader = try await BenchCommand.latencyReader(client: client, topics: [HubTopics.statusHistory.name], tag: String(tag), logger: logger)
        BenchCommand.status("publishing \(latencyRecords) more events at \(Int(rate))/s for latency")
        let publisher = BenchCommand.publishPaced(count: latencyRecords, rate: rate, producer: producer) { range in events(range, prefix: "L") }
        var latencies: [Double] = []
        latencies.reserveCapacity(latencyRecords)
        let latencyDeadline = ContinuousClock.now + .seconds(600)
        while latencies.count < latencyRecords, ContinuousClock.now < latencyDeadline {
            let batch = await reader.nextBatch(max: 5_000, timeout: .seconds(1))
            let now = Date().timeIntervalSince1970 * 1000
            for record in batch where record.keyString?.hasPrefix("\(agency)/L") == true {
                if let value = record.value, let sent = publishTime(in: value) { latencies.append(now - sent) }
            }
        }
        try await publisher.value
        await producer.close()
        shutdown.trigger()
        try await running.value
        await reader.close()
        let peakMB = BenchCommand.peakMegabytes()
        let (baselineSeconds, baselineExit) = try await BenchCommand.kcatBaseline(kcat: kcat, client: client, bootstrap: bootstrap, topic: input, to: kcatOut, records: records, logger: logger)
        let baseline = Double(records) / baselineSeconds
        let footprint = try CaseFootprint.measure(cases: 30_000)

        latencies.sort()
        let p50 = BenchCommand.percentile(latencies, 0.5), p99 = BenchCommand.percentile(latencies, 0.99)
        print("")
        print("bench ingest: \(records) events (\(records / 3) cases, 3 events each), 6 partitions, broker \(broker == nil ? bootstrap : "local Tansu")")
        print(BenchCommand.pad("", 34) + BenchCommand.pad("events/s", 12) + BenchCommand.pad("seconds", 10) + BenchCommand.pad("p50 ms", 10)
              + BenchCommand.pad("p99 ms", 10) + "peak RSS MB")
        print(BenchCommand.pad("kcat -C | kcat -P (baseline)", 34) + BenchCommand.pad(BenchCommand.format(baseline, 0), 12)
              + BenchCommand.pad(BenchCommand.format(baselineSeconds, 2), 10) + BenchCommand.pad("-", 10) + BenchCommand.pad("-", 10) + "-")
        print(BenchCommand.pad("status-ingest (transactional)", 34) + BenchCommand.pad(BenchCommand.format(throughput, 0), 12)
              + BenchCommand.pad(BenchCommand.format(seconds, 2), 10) + BenchCommand.pad(BenchCommand.format(p50, 1), 10)
              + BenchCommand.pad(BenchCommand.format(p99, 1), 10) + BenchCommand.format(peakMB, 1))
        print("ratio \(BenchCommand.format(throughput / baseline, 2))x the kcat pipe (goal: at least 0.5x); " + BenchCommand.baselineNote(exitSeconds: baselineExit))
        print("throughput: the events waiting in the topic, from the service's assignment to its last commit (history + current per event)")
        print("CPU per event while they drained: the hub's process \(BenchCommand.format(hubMicros, 0)) µs"
              + (brokerMicros.map { ", the broker \(BenchCommand.format($0, 0)) µs" } ?? " (the broker's is not visible: not a local one)"))
        if let line = drainedRun.cpuBoundsLine(unit: "events", baseline: baseline) { print(line) }
        print("latency: \(latencies.count) of \(latencyRecords) new events published at \(Int(rate))/s (half the throughput), publish to readable in status.history")
        print("memory per case in the core: \(BenchCommand.format(footprint.openBytes, 0)) bytes per open case (held whole), "
              + "\(BenchCommand.format(footprint.closedBytes, 0)) bytes per closed case (its key and archive slot; the state is on disk, "
              + "\(BenchCommand.format(footprint.archiveBytes, 0)) bytes each)")
        if json {
            let object: [String: Any] = [
                "bench": "ingest", "records": records, "seconds": BenchCommand.rounded(seconds, 3),
                "throughput": BenchCommand.rounded(throughput, 1), "baseline_throughput": BenchCommand.rounded(baseline, 1), "baseline_exit_seconds": BenchCommand.rounded(baselineExit, 3),
                "ratio": BenchCommand.rounded(throughput / baseline, 3), "p50_ms": BenchCommand.rounded(p50, 3),
                "p99_ms": BenchCommand.rounded(p99, 3), "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
                "latency_rate": BenchCommand.rounded(rate, 0), "open_case_bytes": BenchCommand.rounded(footprint.openBytes, 0),
                "closed_case_bytes": BenchCommand.rounded(footprint.closedBytes, 0),
                "cpu_us_per_event": drainedRun.microsPerRecordJSON, "cpu_bound_throughput": drainedRun.cpuBoundsJSON,
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
