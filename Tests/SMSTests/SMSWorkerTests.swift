import BrokerTestSupport
import ChannelDelivery
import ChannelWorker
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Sandboxes
import SMSConnector
import Testing
import Topics

/// The SMS worker on the real broker, sending through real Kannel gateways. Every worker reads all of
/// `notify.sms`, so assertions look at the test's own notices (by case id prefix) only.
@Suite("SMS worker through Kannel", .serialized, .enabled(if: KannelSandbox.isInstalled, "Kannel is installed by the bootstrap"))
struct SMSWorkerTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    let kit = ChannelTesting(.sms)

    /// What reached the handsets of these notices: other suites' notices to notify.sms reach this worker too.
    func mine(_ kannel: KannelSandbox, _ notices: [Notice]) -> [KannelSandbox.Received] {
        let phones = Set(notices.map { $0.to[0] })
        return kannel.received.filter { phones.contains($0.to) }
    }

    static func delivered(_ receipts: [NotificationReceipt]) -> Set<UUID> {
        Set(receipts.filter { $0.status == .delivered }.compactMap(\.notificationId))
    }

    func worker(_ connector: any ChannelConnector, tag: String, callbacks: CallbackServer, settings: ChannelWorkerService.Settings) -> ChannelWorkerService {
        ChannelWorkerService(connector: connector, client: client, instance: "sms-\(tag)", groupID: "sms-\(tag)", settings: settings,
                             metrics: MetricsRegistry(), readiness: nil, logger: logger, hubVersion: "test", crashes: nil, reports: callbacks.inbox)
    }

    func kannelConnector(_ kannel: KannelSandbox, name: String = "kannel", callbacks: CallbackServer) -> KannelConnector {
        KannelConnector(settings: .init(sendURL: kannel.sendURL, username: kannel.username, password: kannel.password, sender: "Latvija.lv",
                                        callbackURL: callbacks.url), name: name)
    }

    @Test("each notice reaches the handset once, whole; receipts go sending, accepted by Kannel, delivered with the operator's id")
    func endToEnd() async throws {
        try await kit.prepare()
        let tag = "SE" + UUID().uuidString.prefix(6)
        let kannel = try KannelSandbox()
        try await kannel.start()
        defer { kannel.stop() }
        let callbacks = try CallbackServer()
        defer { callbacks.stop() }
        let worker = worker(kannelConnector(kannel, callbacks: callbacks), tag: tag, callbacks: callbacks,
                            settings: .init(ladder: try RetryLadder(parsing: "1s,2s"), confirmEvery: .milliseconds(300)))
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        let sent = smsNotices(20, tag: tag) { $0 % 2 == 0 ? longLatvian : "Pieteikums \(tag)-\($0) pienemts." }
        try await kit.publish(sent)
        let receipts = try await kit.receipts(about: tag) { Self.delivered($0).count >= 20 }
        shutdown.trigger()
        try await running.value

        let handsets = mine(kannel, sent)
        for notice in sent {
            let arrived = handsets.filter { $0.to == notice.to[0] }
            #expect(arrived.count == 1, "once each")
            #expect(arrived.first?.text == notice.body)
            let mine = receipts.filter { $0.notificationId == notice.notificationId }
            #expect(mine.map(\.status).first == .sending)
            #expect(mine.first?.notice?.notificationId == notice.notificationId && mine.first?.notice?.body == notice.body,
                    "the sending receipt carries the notice, for a later fallback")
            // Kannel's "accepted" follows the sending receipt unless the delivery report beat the call's own answer.
            #expect(mine.contains { $0.status == .sending && $0.reason == "accepted" && $0.gatewayReference == "kannel" }
                || mine.firstIndex { $0.status == .delivered } == 1)
            let delivered = try #require(mine.first { $0.status == .delivered })
            #expect(delivered.gatewayReference?.hasPrefix("kannel/") == true, "\(delivered.gatewayReference ?? "-")")
            #expect(delivered.notice == nil)
        }
    }

    @Test("two gateways share by weight; one goes down: its traffic moves over, nothing lost; back up: it gets its share again")
    func failover() async throws {
        try await kit.prepare()
        let tag = "SF" + UUID().uuidString.prefix(6)
        let first = try KannelSandbox(), second = try KannelSandbox()
        try await first.start()
        try await second.start()
        defer { first.stop(); second.stop() }
        let callbacks = try CallbackServer()
        defer { callbacks.stop() }
        let pooled = PooledConnector([.init(name: "gw1", weight: 3, connector: kannelConnector(first, name: "gw1", callbacks: callbacks)),
                                      .init(name: "gw2", weight: 1, connector: kannelConnector(second, name: "gw2", callbacks: callbacks))],
                                     settings: .init(window: 10, errorThreshold: 0.5, minimumCalls: 2, coolDown: 2))
        let worker = worker(pooled, tag: tag, callbacks: callbacks,
                            settings: .init(ladder: try RetryLadder(parsing: "1s,2s,4s"), confirmEvery: .milliseconds(300), inFlight: 1))
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        defer { shutdown.trigger() }

        let calm = smsNotices(40, tag: tag + "-a") { "Kods \($0)" }
        let storm = smsNotices(30, tag: tag + "-b", first: 100) { "Kods \($0)" }
        let after = smsNotices(40, tag: tag + "-c", first: 200) { "Kods \($0)" }
        // Both up: 3 to 1.
        try await kit.publish(calm)
        _ = try await kit.receipts(about: tag + "-a") { Self.delivered($0).count >= 40 }
        let all = calm + storm + after
        func count(_ kannel: KannelSandbox) -> Int { mine(kannel, all).count }
        let calmFirst = count(first), calmSecond = count(second)
        #expect(calmFirst + calmSecond == 40)
        // 3:1 over every call the pool made: other suites' notices to notify.sms go through this worker too and
        // take their turns in the rhythm, so this test's own 40 alone may split anywhere around 30:10.
        // One foreign notice may be in flight, and the rhythm is exact only every 4 calls.
        let split = pooled.callsByGateway
        let calmCalls = (first: split["gw1", default: 0], second: split["gw2", default: 0])
        #expect(calmCalls.first + calmCalls.second >= 40)
        #expect(abs(calmCalls.first - 3 * calmCalls.second) <= 5, "shared 3:1 (\(calmCalls.first):\(calmCalls.second))")

        // gw1 down: everything goes through gw2.
        first.stopSMSBox()
        try await kit.publish(storm)
        _ = try await kit.receipts(about: tag + "-b") { Self.delivered($0).count >= 30 }
        #expect(count(first) == calmFirst, "nothing through the gateway that is down")
        #expect(count(second) == calmSecond + 30, "every notice through the other one, none lost")
        #expect(pooled.health["gw1"] != .healthy)

        // gw1 back: after its cool-down it takes traffic again.
        try await first.startSMSBox()
        try await Task.sleep(for: .seconds(2.5))
        let before = pooled.callsByGateway
        try await kit.publish(after)
        _ = try await kit.receipts(about: tag + "-c") { Self.delivered($0).count >= 40 }
        shutdown.trigger()
        try await running.value
        let end = pooled.callsByGateway
        let back = (first: end["gw1", default: 0] - before["gw1", default: 0], second: end["gw2", default: 0] - before["gw2", default: 0])
        #expect(back.first + back.second >= 40)
        // Exact 3:1 at both ends of the phase would give 0; each end may sit mid-rhythm, with a call picked and not yet counted.
        #expect(abs(back.first - 3 * back.second) <= 8, "gw1 has its share back (\(back.first):\(back.second))")
        #expect(count(first) > calmFirst, "some of this test's own notices went through gw1 again")
        let arrived = mine(first, all) + mine(second, all)
        for notice in all {
            #expect(arrived.filter { $0.to == notice.to[0] && $0.text == notice.body }.count == 1)
        }
        #expect(pooled.health["gw1"] == .healthy)
    }

    @Test("killed between Kannel's acceptance and the commit: restarted, it sends nothing again; the delivery reports, retried by Kannel, complete the receipts")
    func crashBetweenSendAndCommit() async throws {
        try await kit.prepare()
        let tag = "SK" + UUID().uuidString.prefix(6)
        let kannel = try KannelSandbox()
        try await kannel.start()
        defer { kannel.stop() }
        let mark = NSTemporaryDirectory() + "/channel-drill-\(tag)"
        let prepared = 4  // notices in hand, with 2 gateway connections: the most a crash can leave uncertain
        let environment = ["DRILL_CHANNEL": "sms", "DRILL_BOOTSTRAP": LocalBroker.testBootstrap, "DRILL_KANNEL_SEND": kannel.sendURL,
                           "DRILL_KANNEL_USER": kannel.username, "DRILL_KANNEL_PASSWORD": kannel.password,
                           "DRILL_CALLBACK_PORT": String(try LocalBroker.freePort()), "DRILL_CONFIRM_TIMEOUT_SECONDS": "20",
                           "DRILL_INSTANCE": "sdrill-\(tag)", "DRILL_GROUP": "sdrill-\(tag)", "DRILL_CRASH_MARK": mark, "DRILL_CRASH_CASES": tag + "-",
                           "DRILL_INFLIGHT": "2", "DRILL_PREPARED": String(prepared)]
        let sent = smsNotices(10, tag: tag, first: 300) { "Kods \($0)" }
        try await kit.publish(sent)
        let first = try startChild("channel-drill", environment: environment, log: "/tmp/channel-drill-\(tag)-1.log")
        try await waitUntil(seconds: 60) { !first.isRunning }
        #expect(first.terminationStatus == 9, "it died right after a gateway call")
        let second = try startChild("channel-drill", environment: environment, log: "/tmp/channel-drill-\(tag)-2.log")
        defer { if second.isRunning { second.terminate() } }
        // Every notice ends delivered, or (a report that never reached a worker) temporary-failure unconfirmed: never left sending.
        let receipts = try await kit.receipts(about: tag, seconds: 90) { receipts in
            sent.allSatisfy { notice in receipts.contains { $0.notificationId == notice.notificationId && ($0.status == .delivered || $0.status == .temporaryFailure) } }
        }
        second.terminate()
        try await waitUntil(seconds: 30) { !second.isRunning }

        // The notice whose send Kannel had accepted when the worker died: its delivery report, retried by Kannel,
        // reaches the restarted worker. Others in flight at that moment (a `sending` receipt written, the call maybe
        // not yet made) are not sent again: each ends delivered, or temporary-failure `unconfirmed` if Kannel never
        // had it. At most once; never silent.
        let crashed = try #require(UUID(uuidString: String(decoding: try Data(contentsOf: URL(fileURLWithPath: mark)), as: UTF8.self)))
        let crashedNotice = try #require(sent.first { $0.notificationId == crashed })
        let handsets = mine(kannel, sent)
        let delivered = Self.delivered(receipts)
        #expect(delivered.contains(crashed), "the accepted one is confirmed by Kannel's retried report")
        #expect(handsets.filter { $0.to == crashedNotice.to[0] }.count == 1)
        for notice in sent {
            let reached = handsets.filter { $0.to == notice.to[0] }.count
            let statuses = receipts.filter { $0.notificationId == notice.notificationId }.map(\.status)
            #expect(reached <= 1, "never sent twice")
            #expect(statuses.first == .sending, "\(statuses)")
            if delivered.contains(notice.notificationId) {
                #expect(reached == 1, "delivered means it reached the handset")
            } else {
                let unconfirmed = receipts.first { $0.notificationId == notice.notificationId && $0.status == .temporaryFailure }
                #expect(unconfirmed?.reason == "unconfirmed", "\(statuses)")
            }
        }
        // Only notices in hand at the crash can be uncertain (`prepared`, the crashed one among them, and it is confirmed).
        #expect(delivered.count >= sent.count - prepared + 1, "delivered: \(delivered.count) of \(sent.count)")
    }

    @Test("10,000 SMS through Kannel at a 200/s limit: none lost, none doubled, every one delivered, the limit held")
    func load() async throws {
        try await kit.prepare()
        let tag = "SL" + UUID().uuidString.prefix(6)
        let kannel = try KannelSandbox()
        try await kannel.start()
        defer { kannel.stop() }
        let callbacks = try CallbackServer()
        defer { callbacks.stop() }
        let rate = 200.0
        let worker = worker(kannelConnector(kannel, callbacks: callbacks), tag: tag, callbacks: callbacks,
                            settings: .init(ladder: try RetryLadder(parsing: "1s,2s,4s"), confirmEvery: .seconds(1), ratePerSecond: rate, inFlight: 16))
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        let count = 10_000
        let sent = smsNotices(count, tag: tag) { "Kods \($0)" }
        try await kit.publish(sent)
        let receipts = try await kit.receipts(about: tag, seconds: 180) { Self.delivered($0).count >= count }
        shutdown.trigger()
        try await running.value

        let handsets = mine(kannel, sent)
        var arrivals: [String: Int] = [:]
        for message in handsets { arrivals[message.to, default: 0] += 1 }
        #expect(handsets.count == count, "none lost, none doubled: \(handsets.count)")
        #expect(arrivals.values.allSatisfy { $0 == 1 })
        #expect(Set(sent.map { $0.to[0] }) == Set(arrivals.keys))
        #expect(Self.delivered(receipts).count == count)
        // The limit, as the worker handed notices over. The stamps are taken by up to 16 tasks woken from the
        // bucket's waits; on two busy cores a wake-up can be late by tens of milliseconds and then several stamp
        // at once, so one second's count wobbles by that much (229 seen). A five-second window averages the
        // wobble out: the bucket allows 5 x rate + its burst (rate / 10) there; a second of slack is allowed on top
        // (a stamp is taken after the task wakes from its wait: CI, with other suites running, once showed 1,066,
        // 330 ms of it, and a local full run whose SMS took 81 s on starved cores 1,129, 545 ms). Without the limit
        // the worker hands over 400+ a second: 2,000 and more in five seconds, far above the bound.
        let handed = receipts.filter { $0.status == .sending && $0.reason == nil }.map(\.at).sorted()
        #expect(handed.count == count)
        if handed.count != count {
            // Say which notices lack one or have several, and what else was read about them, to tell a receipt
            // never written from one written twice.
            var sendings: [UUID: Int] = [:]
            for receipt in receipts where receipt.status == .sending && receipt.reason == nil {
                if let id = receipt.notificationId { sendings[id, default: 0] += 1 }
            }
            for notice in sent where sendings[notice.notificationId] != 1 {
                let about = receipts.filter { $0.notificationId == notice.notificationId }
                    .map { "\($0.status.rawValue)(\($0.reason ?? "-")) at \(RFC3339Timestamp.format($0.at))" }
                Issue.record("\(notice.request.caseId): \(sendings[notice.notificationId] ?? 0) sending receipts; read: \(about)")
            }
        }
        func busiest(within window: TimeInterval) -> Int {
            var most = 0, start = 0
            for end in handed.indices {
                while handed[end].timeIntervalSince(handed[start]) >= window { start += 1 }
                most = max(most, end - start + 1)
            }
            return most
        }
        let busiestSecond = busiest(within: 1), busiestFive = busiest(within: 5)
        let seconds = handed.last!.timeIntervalSince(handed.first!)
        print("10,000 SMS: \(String(format: "%.1f", seconds)) s, \(String(format: "%.0f", Double(count) / seconds))/s, busiest second \(busiestSecond), busiest 5 s \(busiestFive) (limit \(Int(rate))/s)")
        #expect(Double(busiestFive) <= rate * 5 + rate / 10 + rate * 1, "busiest 5 s \(busiestFive)")
        #expect(seconds >= Double(count) / rate * 0.9, "not faster than the limit allows")
    }
}
