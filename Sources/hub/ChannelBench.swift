import ChannelDelivery
import ChannelWorker
import EAddressConnector
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Sandboxes
import Synchronization
import Topics

/// `hub bench channels`: N official notices through the e-address worker to
/// the mailbox emulator, beside the emulator's own ceiling measured in the
/// same run: curl posting the same messages straight at it, one connection,
/// one request at a time (as the worker has one call in flight).
enum ChannelBench {
    /// Times each gateway call of the connector it wraps.
    final class TimedConnector: ChannelConnector {
        let inner: EAddressConnector
        let latencies = Mutex<[Double]>([])
        init(_ inner: EAddressConnector) { self.inner = inner }
        var channel: NotifyChannel { inner.channel }
        var canConfirm: Bool { inner.canConfirm }
        func send(_ notice: Notice) async -> GatewayOutcome {
            let start = ContinuousClock.now
            let outcome = await inner.send(notice)
            let milliseconds = (ContinuousClock.now - start).inSeconds * 1000
            latencies.withLock { $0.append(milliseconds) }
            return outcome
        }
        func status(of notificationId: UUID) async -> GatewayOutcome? { await inner.status(of: notificationId) }
    }

    static func run(records: Int, json: Bool, context: HubContext) async throws {
        guard context.configuration.bootstrapServers == nil else {
            throw UsageError("bench channels writes to notify.eaddress: it runs on its own local broker; unset kafka.bootstrap.servers")
        }
        let logger = Logger(component: "bench", threshold: .warning)
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        _ = try await TopicsCommand.apply(client: client, configuration: context.configuration, production: false, logger: logger)
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let tag = UUID().uuidString.prefix(8).lowercased()

        // The ceiling: curl posts N messages straight at the mailbox over one connection.
        BenchCommand.status("ceiling: curl posting \(records) messages straight at the mailbox")
        let config = NSTemporaryDirectory() + "/bench-curl-\(tag).cfg"
        var lines: [String] = []
        for index in 0 ..< records {
            let body = #"{"messageId":"ceiling-\#(tag)-\#(index)","sender":"VSAA","recipient":"c:\#(String(repeating: "c", count: 32))","subject":"Lieta \#(index)","body":"Lietā pieņemts lēmums."}"#
            lines += [index == 0 ? "" : "next", "url = \"\(mailbox.baseURL)/v1/messages\"", "header = \"Content-Type: application/json\"",
                      "data = \"\(body.replacingOccurrences(of: "\"", with: "\\\""))\"", "output = \"/dev/null\"", "silent"]
        }
        try lines.joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        let ceilingStart = ContinuousClock.now
        try BenchCommand.runShell("curl -K '\(config)'")
        let ceilingSeconds = (ContinuousClock.now - ceilingStart).inSeconds
        let ceiling = Double(records) / ceilingSeconds

        // The worker: the notices wait in notify.eaddress; the clock runs from its assignment to its last commit.
        BenchCommand.status("loading \(records) notices into \(HubTopics.notifyEAddress.name)")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        for from in stride(from: 0, to: records, by: 5_000) {
            _ = try await producer.sendAll(try (from ..< min(records, from + 5_000)).map { index in
                let request = NotificationRequest(requestId: UUID.random(), clientKey: "c:" + String(repeating: "d", count: 32), representativeKey: nil,
                                                  agency: "VSAA", caseId: "B-\(index)", serviceId: "VSAA-PENS", status: .completed, step: nil,
                                                  messageClass: .official, occurredAt: Date(), link: nil)
                let notice = Notice(notificationId: UUID.random(), channel: .eaddress, recipientKey: request.clientKey, role: .client,
                                    to: [request.clientKey], messageClass: .official, carriesContent: true, language: "lv",
                                    templateId: "*/completed/eaddress/lv", subject: "Lieta B-\(index)", body: "Lietā pieņemts lēmums.",
                                    request: request, createdAt: Date())
                return KafkaProducerRecord(topic: HubTopics.notifyEAddress.name, key: Array(notice.recipientKey.utf8), value: Array(try RecordJSON.encode(notice)))
            })
        }
        await producer.close()
        let connector = TimedConnector(EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB"))
        let metrics = MetricsRegistry(), readiness = Readiness()
        let worker = ChannelWorkerService(connector: connector, client: client, instance: "bench-\(tag)", groupID: "bench-channel-\(tag)",
                                          settings: .init(ladder: .none), metrics: metrics, readiness: readiness, logger: logger,
                                          hubVersion: VersionCommand.hubVersion, crashes: try HubConfiguration().crashJournal())
        let shutdown = ShutdownSignal()
        let (seconds, drained, running) = try await BenchCommand.drain(worker, stage: "channel-eaddress", records: records, metrics: metrics,
                                                                       readiness: readiness, shutdown: shutdown)
        shutdown.trigger()
        try await running.value
        let throughput = Double(drained) / seconds
        let latencies = connector.latencies.withLock { $0 }.sorted()
        let p50 = BenchCommand.percentile(latencies, 0.5), p99 = BenchCommand.percentile(latencies, 0.99)
        let peakMB = BenchCommand.peakMegabytes()
        let delivered = mailbox.messages.filter { $0.subject.hasPrefix("Lieta B-") }.count

        let pad = BenchCommand.pad, format = BenchCommand.format
        print("")
        print("bench channels: \(records) e-address notices to the mailbox emulator, local Tansu")
        print(pad("", 40) + pad("notices/s", 12) + pad("seconds", 10) + pad("p50 ms", 10) + pad("p99 ms", 10) + "peak RSS MB")
        print(pad("curl straight at the mailbox (ceiling)", 40) + pad(format(ceiling, 0), 12) + pad(format(ceilingSeconds, 2), 10)
              + pad("-", 10) + pad("-", 10) + "-")
        print(pad("e-address worker (receipts, commits)", 40) + pad(format(throughput, 0), 12) + pad(format(seconds, 2), 10)
              + pad(format(p50, 2), 10) + pad(format(p99, 2), 10) + format(peakMB, 1))
        print("ratio \(format(throughput / ceiling, 2))x the gateway's own ceiling (goal: at least 0.7x); \(delivered) of \(records) delivered once each")
        print("latency: the worker's gateway call (POST /v1/messages), p50/p99 over every send")
        if json {
            let object: [String: Any] = [
                "bench": "channels", "records": records, "seconds": BenchCommand.rounded(seconds, 3),
                "throughput": BenchCommand.rounded(throughput, 1), "baseline_throughput": BenchCommand.rounded(ceiling, 1),
                "ratio": BenchCommand.rounded(throughput / ceiling, 3), "p50_ms": BenchCommand.rounded(p50, 3),
                "p99_ms": BenchCommand.rounded(p99, 3), "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}
