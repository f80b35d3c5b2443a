import BrokerTestSupport
import ChannelDelivery
import ChannelWorker
import DeadLetters
import EAddressConnector
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Sandboxes
import Testing
import Topics

/// The e-address worker against the mailbox emulator (`hub sandbox eaddress`) and the real broker.
/// Each test's worker reads all of `notify.eaddress` (other suites write there too), so every
/// assertion looks at this test's own notices only.
@Suite("E-address delivery against the mailbox emulator", .serialized)
struct EAddressWorkerTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    let kit = ChannelTesting(.eaddress)

    func notices(_ count: Int, tag: String) -> [Notice] {
        (0 ..< count).map { index in
            let request = NotificationRequest(requestId: UUID(), clientKey: "c:" + String(repeating: "a", count: 31) + String(index % 10),
                                              representativeKey: nil, agency: "VSAA", caseId: "\(tag)-\(index)", serviceId: "VSAA-PENS",
                                              status: .completed, step: nil, messageClass: .official, occurredAt: Date(), link: nil)
            return Notice(notificationId: UUID(), channel: .eaddress, recipientKey: request.clientKey, role: .client, to: [request.clientKey],
                          messageClass: .official, carriesContent: true, language: "lv", templateId: "*/completed/eaddress/lv",
                          subject: "Vecuma pensija: lieta \(tag)-\(index)", body: "Labdien!\n\nLietā \(tag)-\(index) pieņemts lēmums. Ā Č Ē Ģ Ī Ķ Ļ Ņ Š Ū Ž",
                          request: request, createdAt: Date())
        }
    }

    @Test("notices arrive once each with their Latvian text; the mailbox was down for a while, retries took them through; receipts say sending then delivered")
    func deliveryThroughAnOutage() async throws {
        try await kit.prepare()
        let tag = "EA" + UUID().uuidString.prefix(6)
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        mailbox.update { $0.downUntil = Date().addingTimeInterval(4) }  // 503 for the first seconds
        let worker = ChannelWorkerService(connector: EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB"), client: client,
                                          instance: "ea-\(tag)", groupID: "ea-\(tag)",
                                          settings: .init(ladder: try RetryLadder(parsing: "1s,2s,4s"), confirmEvery: .milliseconds(300)),
                                          metrics: MetricsRegistry(), readiness: nil, logger: logger, hubVersion: "test", crashes: nil)
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        let sent = notices(20, tag: tag)
        try await kit.publish(sent)
        let receipts = try await kit.receipts(about: tag) { receipts in receipts.filter { $0.status == .delivered }.count >= 20 }
        shutdown.trigger()
        try await running.value

        let mine = mailbox.messages.filter { $0.subject.contains(tag) }
        #expect(mine.count == 20, "each notice once")
        #expect(Set(mine.map(\.messageId)) == Set(sent.map { $0.notificationId.lowercasedString }), "the notification id is the message id")
        #expect(mine.first { $0.messageId == sent[0].notificationId.lowercasedString }?.body == sent[0].body)
        let delivered = receipts.filter { $0.status == .delivered }
        #expect(Set(delivered.compactMap(\.notificationId)) == Set(sent.map(\.notificationId)))
        #expect(delivered.allSatisfy { $0.gatewayReference?.hasPrefix("EA-") == true })
        for notice in sent {
            let statuses = receipts.filter { $0.notificationId == notice.notificationId }.map(\.status)
            #expect(statuses.first == .sending && statuses.last == .delivered, "\(statuses)")
        }
    }

    @Test("accepted notices are confirmed later by asking the mailbox about many in one call")
    func confirmationsInBatches() async throws {
        try await kit.prepare()
        let tag = "EC" + UUID().uuidString.prefix(6)
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        mailbox.update { settings in
            settings.deliverAfter = .milliseconds(1_500)  // accepted at once, delivered later, as a real mailbox does
            settings.latency = .milliseconds(40)
        }
        let metrics = MetricsRegistry()
        let worker = ChannelWorkerService(connector: EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB", connections: 4), client: client,
                                          instance: "ec-\(tag)", groupID: "ec-\(tag)",
                                          settings: .init(ladder: try RetryLadder(parsing: "1s"), confirmEvery: .milliseconds(300), inFlight: 4),
                                          metrics: metrics, readiness: nil, logger: logger, hubVersion: "test", crashes: nil)
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        let sent = notices(40, tag: tag)
        try await kit.publish(sent)
        let receipts = try await kit.receipts(about: tag) { receipts in Set(receipts.filter { $0.status == .delivered }.compactMap(\.notificationId)).count >= 40 }
        shutdown.trigger()
        try await running.value

        #expect(mailbox.messages.filter { $0.subject.contains(tag) }.count == 40)
        for notice in sent {
            let mine = receipts.filter { $0.notificationId == notice.notificationId }
            #expect(mine.map(\.status) == [.sending, .sending, .delivered], "handed over, accepted, confirmed: \(mine.map(\.status))")
            #expect(mine.dropFirst().first?.reason == "accepted")
        }
        // Asked one per call, every query names one notice; in groups of up to 100, a round asks about all that
        // are due in one call (the 40, sent together, fall due together; other suites' notices may join them).
        let queries = mailbox.statusQueries
        #expect(mailbox.statusAsked >= 40, "every accepted notice was asked about")
        #expect(queries.total * 4 <= mailbox.statusAsked, "asked in groups, not one by one: \(queries.total) queries for \(mailbox.statusAsked) notices")
        #expect(queries.peak <= 2, "at most half the worker's 4 connections ask at once: \(queries.peak)")
        // At least these 40: the worker also meets other suites' e-address notices on the topic.
        #expect((metrics.value("hub_channel_confirmations_total", labels: ["channel": "eaddress", "outcome": "delivered"]) ?? 0) >= 40)
    }

    @Test("killed between the gateway call and the commit: restarted, it confirms instead of sending again")
    func crashBetweenSendAndCommit() async throws {
        try await kit.prepare()
        let tag = "EK" + UUID().uuidString.prefix(6)
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let mark = NSTemporaryDirectory() + "/channel-drill-\(tag)"
        let environment = ["DRILL_BOOTSTRAP": LocalBroker.testBootstrap, "DRILL_MAILBOX": mailbox.baseURL, "DRILL_INSTANCE": "drill-\(tag)",
                           "DRILL_GROUP": "drill-\(tag)", "DRILL_CRASH_MARK": mark, "DRILL_CRASH_CASES": tag]
        let sent = notices(5, tag: tag)
        try await kit.publish(sent)
        let first = try startChild("channel-drill", environment: environment, log: "/tmp/channel-drill-\(tag)-1.log")
        try await waitUntil(seconds: 60) { !first.isRunning }
        #expect(first.terminationStatus == 9, "it died right after a gateway call")
        #expect(FileManager.default.fileExists(atPath: mark))
        let second = try startChild("channel-drill", environment: environment, log: "/tmp/channel-drill-\(tag)-2.log")
        defer { if second.isRunning { second.terminate() } }
        let receipts = try await kit.receipts(about: tag) { receipts in Set(receipts.filter { $0.status == .delivered }.compactMap(\.notificationId)).count >= 5 }
        second.terminate()
        try await waitUntil(seconds: 30) { !second.isRunning }

        #expect(mailbox.messages.filter { $0.subject.contains(tag) }.count == 5)
        let submissions = sent.map { mailbox.submissions[$0.notificationId.lowercasedString] ?? 0 }
        #expect(submissions == [1, 1, 1, 1, 1], "no notice handed to the mailbox twice")
        #expect(Set(receipts.filter { $0.status == .delivered }.compactMap(\.notificationId)) == Set(sent.map(\.notificationId)))
    }

    @Test("the rate limit holds, and an open circuit spares a mailbox that is down")
    func rateLimitAndCircuit() async throws {
        try await kit.prepare()
        let tag = "ER" + UUID().uuidString.prefix(6)
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        mailbox.update { $0.downUntil = .distantFuture }  // down until the worker has met it
        let metrics = MetricsRegistry()
        let worker = ChannelWorkerService(connector: EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB"), client: client,
                                          instance: "er-\(tag)", groupID: "er-\(tag)",
                                          settings: .init(ladder: try RetryLadder(parsing: "1s,2s,4s,8s"), confirmEvery: .milliseconds(300),
                                                          ratePerSecond: 20, circuitFailures: 2, circuitOpenSeconds: 2),
                                          metrics: metrics, readiness: nil, logger: logger, hubVersion: "test", crashes: nil)
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        let sent = notices(60, tag: tag)
        try await kit.publish(sent)
        try await waitUntil(seconds: 60) { mailbox.refused >= 2 }
        try await Task.sleep(for: .seconds(3))
        mailbox.update { $0.downUntil = nil }
        _ = try await kit.receipts(about: tag) { receipts in Set(receipts.filter { $0.status == .delivered }.compactMap(\.notificationId)).count >= 60 }
        shutdown.trigger()
        try await running.value

        let mine = mailbox.messages.filter { $0.subject.contains(tag) }.sorted { $0.acceptedAt < $1.acceptedAt }
        #expect(mine.count == 60)
        // 60 sends at 20/s with a burst of 2: the accepted ones span at least about 2.9 s.
        if let first = mine.first, let last = mine.last { #expect(last.acceptedAt.timeIntervalSince(first.acceptedAt) >= 2.5) }
        // Without the circuit every notice would have hit the down mailbox at least once (60+); with it, a handful of trials.
        #expect(mailbox.refused < 20, "calls refused while down: \(mailbox.refused)")
        #expect((metrics.value("hub_channel_circuit_rejections_total", labels: ["channel": "eaddress"]) ?? 0) > 0)
    }

    @Test("an unknown recipient is a permanent failure carrying the notice, for the fan-out to fall back")
    func permanentFailure() async throws {
        try await kit.prepare()
        let tag = "EP" + UUID().uuidString.prefix(6)
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let sent = notices(1, tag: tag)
        mailbox.update { $0.unknownRecipients = [sent[0].recipientKey] }
        let worker = ChannelWorkerService(connector: EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB"), client: client,
                                          instance: "ep-\(tag)", groupID: "ep-\(tag)", settings: .init(ladder: .none), metrics: MetricsRegistry(),
                                          readiness: nil, logger: logger, hubVersion: "test", crashes: nil)
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        try await kit.publish(sent)
        let receipts = try await kit.receipts(about: tag) { $0.contains { $0.status == .permanentFailure } }
        shutdown.trigger()
        try await running.value
        let failed = try #require(receipts.first { $0.status == .permanentFailure })
        #expect(failed.reason == "http_404" && failed.notice?.notificationId == sent[0].notificationId)
        #expect(mailbox.messages.filter { $0.subject.contains(tag) }.isEmpty)
    }
}
