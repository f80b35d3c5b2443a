import Foundation
import HubLogging
import HubRuntime
import Kafka
import Notifications
import NotificationService
import StatusIngestService
import Topics

/// `hub bench fanout`: N notification requests through the fan-out
/// (routing, rendering, de-duplication, one transaction per batch with
/// notices and receipts), beside a kcat pipe over the same records. It runs
/// on its own local broker only: the fan-out reads the real
/// `notify.requests` and writes the real channel topics.
enum FanOutBench {
    static func run(records: Int, json: Bool, context: HubContext, kcat: String) async throws {
        guard context.configuration.bootstrapServers == nil else {
            throw UsageError("bench fanout writes to notify.<channel>: it runs on its own local broker; unset kafka.bootstrap.servers")
        }
        let logger = Logger(component: "bench", threshold: .warning)
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        let bootstrap = client["bootstrap.servers"]!
        let tag = UUID().uuidString.prefix(8).lowercased()
        _ = try await TopicsCommand.apply(client: client, configuration: context.configuration, production: false, logger: logger)
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([KafkaTopicSpecification(name: "bench.kcat.\(tag)", partitions: 3)])
        await admin.close()

        // 5,000 clients: a fifth without a profile; the rest with one of four channel choices and consents.
        let secret = HubConfiguration.developmentPseudonymSecret
        let clients = (0 ..< 5_000).map { ClientPseudonym.key(for: PartyReference(type: .person, id: String(format: "0101%02d-1%04d", $0 % 90 + 10, $0)), secret: secret) }
        let shapes: [([NotifyChannel], Set<NotifyChannel>)] = [([.sms, .email], [.sms]), ([.email, .push], []), ([.push, .sms], [.push, .sms]), ([.eaddress, .sms], [])]
        let profiles = clients.enumerated().filter { $0.offset % 5 != 0 }.map { index, key in
            let (channels, consent) = shapes[index % shapes.count]
            return ClientProfile(clientKey: key, channels: channels, contacts: .init(phone: "+3712\(String(format: "%07d", index))",
                                                                                    email: "klients\(index)@example.lv", pushTokens: ["device-\(index)"]),
                                 language: index % 3 == 0 ? "en" : "lv", contentConsent: consent)
        }
        _ = try await NotificationPublisher.publish(profiles: profiles, client: client, logger: logger)
        if let sample = CataloguePublisher.sampleFile() { _ = try await CataloguePublisher.publish(file: sample, client: client, logger: logger) }
        if let templates = NotificationPublisher.sampleTemplates() {
            _ = try await NotificationPublisher.publish(templates: try NotificationPublisher.templates(in: templates), client: client, logger: logger)
        }
        let services = ["VID-EDS-IIN", "VSAA-PENS", "PMLP-PASE", "CSDD-REG", "RIGA-BUV"]
        let statuses: [(CaseStatus, MessageClass)] = [(.accepted, .informational), (.waitingForClient, .informational), (.completed, .official), (.refused, .official), (.accepted, .informational)]
        @Sendable func requests(_ range: Range<Int>, prefix: String) throws -> [KafkaProducerRecord] {
            try range.map { index in
                let (status, messageClass) = statuses[index % statuses.count]
                let request = NotificationRequest(requestId: UUID.random(), clientKey: clients[index % clients.count], representativeKey: nil,
                                                  agency: "BENCH", caseId: "\(prefix)\(index)", serviceId: services[index % services.count],
                                                  status: status, step: nil, messageClass: messageClass, occurredAt: Date(), link: nil)
                return KafkaProducerRecord(topic: HubTopics.notifyRequests.name, key: Array(request.clientKey.utf8), value: try RecordJSON.bytes(request))
            }
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        BenchCommand.status("loading \(records) requests into \(HubTopics.notifyRequests.name)")
        for from in stride(from: 0, to: records, by: 5_000) { _ = try await producer.sendAll(try requests(from ..< min(records, from + 5_000), prefix: "T")) }

        // Phase 1, throughput: the requests wait in the topic; the clock runs from the assignment to the last commit.
        let metrics = MetricsRegistry(), readiness = Readiness()
        let fanOut = NotificationFanOutService(client: client, instance: "bench-\(tag)", groupID: "bench-fanout-\(tag)", settings: .init(),
                                               metrics: metrics, readiness: readiness, logger: logger, hubVersion: VersionCommand.hubVersion,
                                               crashes: try HubConfiguration().crashJournal())
        let shutdown = ShutdownSignal()
        let drainedRun = try await BenchCommand.drain(fanOut, stage: "notify-fanout", records: records, metrics: metrics,
                                                      readiness: readiness, shutdown: shutdown, broker: broker?.processID)
        let (seconds, drained, running) = (drainedRun.seconds, drainedRun.committed, drainedRun.running)
        let (hubMicros, brokerMicros) = drainedRun.microsPerRecord
        let throughput = Double(drained) / seconds
        let notices = NotifyChannel.allCases.reduce(0.0) { sum, channel in
            sum + MessageClass.allCases.reduce(0.0) { inner, messageClass in
                inner + ["yes", "no"].reduce(0.0) { $0 + (metrics.value("hub_notify_notices_total", labels: ["channel": channel.rawValue, "class": messageClass.rawValue, "content": $1]) ?? 0) }
            }
        }

        // Phase 2, latency: more requests at half that rate, publish to readable on notify.<channel>.
        let latencyRecords = min(records, 6_000)
        let rate = max(100, throughput / 2)
        let reader = try await BenchCommand.latencyReader(client: client, topics: NotifyChannel.allCases.map(\.topic), tag: String(tag), logger: logger)
        BenchCommand.status("publishing \(latencyRecords) more requests at \(Int(rate))/s for latency")
        let publisher = BenchCommand.publishPaced(count: latencyRecords, rate: rate, producer: producer) { range in try requests(range, prefix: "L") }
        var latencies: [Double] = []
        var seenRequests = Set<UUID>()
        // Requests for clients without a profile (every fifth) that are informational make no notice.
        let expectedRequests = (0 ..< latencyRecords).filter { $0 % 5 != 0 }.count
        var lastSeen = ContinuousClock.now
        while seenRequests.count < expectedRequests, ContinuousClock.now - lastSeen < .seconds(10) {
            let batch = await reader.nextBatch(max: 5_000, timeout: .seconds(1))
            let now = Date()
            for record in batch {
                guard let value = record.value, let notice = try? RecordJSON.decode(Notice.self, from: Data(value)),
                      notice.request.caseId.hasPrefix("L"), seenRequests.insert(notice.request.requestId).inserted else { continue }
                latencies.append(now.timeIntervalSince(notice.request.occurredAt) * 1000)
                lastSeen = .now
            }
        }
        try await publisher.value
        await producer.close()
        shutdown.trigger()
        try await running.value
        await reader.close()
        let peakMB = BenchCommand.peakMegabytes()
        let (baselineSeconds, baselineExit) = try await BenchCommand.kcatBaseline(kcat: kcat, client: client, bootstrap: bootstrap, topic: HubTopics.notifyRequests.name,
                                                            to: "bench.kcat.\(tag)", records: records, logger: logger)
        let baseline = Double(records) / baselineSeconds
        latencies.sort()
        let p50 = BenchCommand.percentile(latencies, 0.5), p99 = BenchCommand.percentile(latencies, 0.99)
        let pad = BenchCommand.pad, format = BenchCommand.format
        print("")
        print("bench fanout: \(records) requests (5,000 clients, a fifth without a profile; 40% official), local Tansu")
        print(pad("", 34) + pad("requests/s", 12) + pad("notices/s", 11) + pad("seconds", 10) + pad("p50 ms", 10) + pad("p99 ms", 10) + "peak RSS MB")
        print(pad("kcat -C | kcat -P (baseline)", 34) + pad(format(baseline, 0), 12) + pad("-", 11) + pad(format(baselineSeconds, 2), 10)
              + pad("-", 10) + pad("-", 10) + "-")
        print(pad("notify-fanout (transactional)", 34) + pad(format(throughput, 0), 12) + pad(format(notices / seconds, 0), 11)
              + pad(format(seconds, 2), 10) + pad(format(p50, 1), 10) + pad(format(p99, 1), 10) + format(peakMB, 1))
        print("ratio \(format(throughput / baseline, 2))x the kcat pipe (goal: at least 0.5x); " + BenchCommand.baselineNote(exitSeconds: baselineExit))
        print("throughput: \(Int(notices)) notices and their receipts for \(drained) requests, from assignment to the last commit")
        print("CPU per request while they drained: the hub's process \(format(hubMicros, 0)) µs"
              + (brokerMicros.map { ", the broker \(format($0, 0)) µs" } ?? ""))
        if let line = drainedRun.cpuBoundsLine(unit: "requests", baseline: baseline) { print(line) }
        print("latency: \(latencies.count) requests published at \(Int(rate))/s (half the throughput), publish to the first notice readable on notify.<channel>")
        if json {
            let object: [String: Any] = [
                "bench": "fanout", "records": records, "seconds": BenchCommand.rounded(seconds, 3),
                "throughput": BenchCommand.rounded(throughput, 1), "notices_per_second": BenchCommand.rounded(notices / seconds, 1),
                "baseline_throughput": BenchCommand.rounded(baseline, 1), "baseline_exit_seconds": BenchCommand.rounded(baselineExit, 3), "ratio": BenchCommand.rounded(throughput / baseline, 3),
                "p50_ms": BenchCommand.rounded(p50, 3), "p99_ms": BenchCommand.rounded(p99, 3), "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
                "cpu_us_per_request": drainedRun.microsPerRecordJSON, "cpu_bound_throughput": drainedRun.cpuBoundsJSON,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}
