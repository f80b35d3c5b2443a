import BrokerTestSupport
import ChannelDelivery
import ChannelWorker
import DeadLetters
import Foundation
import GatewayHTTP
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
@testable import PushConnector
import Sandboxes
import Testing
import Topics

@Suite("Push: one outcome from each token's result")
struct PushOutcomeTests {
    @Test("a temporary failure retries the notice; delivered to some names the invalid; none valid is permanent and names them all")
    func outcomes() {
        #expect(PushConnector.outcome([.delivered("PN-1"), .temporary(code: "http_503", message: "")], tokens: ["a", "b"])
            == .temporary(code: "http_503", message: ""))
        #expect(PushConnector.outcome([.delivered("PN-1"), .delivered("PN-2")], tokens: ["a", "b"]).isDelivered(reference: "PN-1,PN-2"))
        guard case .partlyDelivered("PN-1", _, ["b"]) = PushConnector.outcome([.delivered("PN-1"), .invalid], tokens: ["a", "b"]) else {
            Issue.record("delivered to a, b invalid"); return
        }
        #expect(PushConnector.outcome([.invalid, .invalid], tokens: ["a", "b"]) == .contactsInvalid(contacts: ["a", "b"], message: "no device token of the notice is valid any more"))
        #expect(PushConnector.outcome([.refused(code: "http_400", message: "bad")], tokens: ["a"]) == .permanent(code: "http_400", message: "bad"))
        #expect(ContactFingerprint.of("token-a").hasPrefix("sha256:") && ContactFingerprint.of("token-a").count == 23)
        #expect(ContactFingerprint.of("token-a") != ContactFingerprint.of("token-b"))
    }
}

extension GatewayOutcome {
    func isDelivered(reference expected: String) -> Bool {
        if case .delivered(let reference, _) = self { reference == expected } else { false }
    }
}

/// The push gateway API of docs/connectors/push.md over real HTTP: what the emulator answers, and the
/// connector's reading of it.
@Suite("Push API: the emulator's answers and the connector's reading of them")
struct PushAPITests {
    let http = CurlHTTPClient(connections: 2, timeout: .seconds(5))

    func post(_ json: String, key: String = "k-1", authorization: String? = nil, to gateway: PushGateway) async throws -> HTTPExchange {
        var headers = [("Content-Type", "application/json"), ("Idempotency-Key", key)]
        if let authorization { headers.append(("Authorization", authorization)) }
        return try await http.perform(.init(method: "POST", url: gateway.baseURL + "/v1/push", headers: headers, body: Array(json.utf8))).get()
    }

    @Test("a push is recorded once per idempotency key with its Latvian text and data; a repeat gets the first answer; broken shapes are a 400")
    func pushes() async throws {
        let gateway = PushGateway()
        try gateway.start()
        defer { gateway.stop() }
        let json = #"{"token":"device-1","title":"Lieta \"P-1\"","body":"Labdien!\nĀ Č \u0160 😀","data":{"caseId":"P-1","agency":"VSAA"}}"#
        let first = try await post(json, to: gateway)
        #expect(first.status == 201)
        #expect(PushConnector.id(in: first.body) == "PN-00000001")
        let repeated = try await post(json, to: gateway)
        #expect(repeated.status == 200)
        #expect(PushConnector.id(in: repeated.body) == "PN-00000001")
        #expect(gateway.pushes.count == 1)
        #expect(gateway.pushes.first?.body == "Labdien!\nĀ Č Š 😀")
        #expect(gateway.pushes.first?.title == "Lieta \"P-1\"")
        #expect(gateway.pushes.first?.data == ["caseId": "P-1", "agency": "VSAA"])
        #expect(gateway.attempts["k-1"] == 2)
        for broken in [#"{"token":"","title":"T","body":"B"}"#, #"{"token":"d","body":"B"}"#, #"{"token":"d","title":"T","body":"B","data":{"n":1}}"#,
                       #"{"token":"d","title":"T","body":"B""#] {
            #expect(try await post(broken, key: "k-2", to: gateway).status == 400, "\(broken)")
        }
        // A field the API does not name: the scanner gives up, the decoder takes it.
        #expect(try await post(#"{"token":"d-3","title":"T","body":"B","priority":"high"}"#, key: "k-3", to: gateway).status == 201)
        // The connector reads an answer with fields it does not know.
        #expect(PushConnector.id(in: Array(#"{"id":"PN-7","status":"delivered","deliveredAt":"2026-11-24T10:00:00Z","queue":1}"#.utf8)) == "PN-7")
        #expect(PushConnector.id(in: Array(#"{"status":"delivered"}"#.utf8)) == nil)
    }

    @Test("with an API key, a push without it or with another is a 401 and is not recorded; with it, delivered")
    func apiKey() async throws {
        var settings = PushGateway.Settings()
        settings.apiKey = "secret"
        let gateway = PushGateway(settings: settings)
        try gateway.start()
        defer { gateway.stop() }
        let json = #"{"token":"device-1","title":"T","body":"B"}"#
        #expect(try await post(json, to: gateway).status == 401)
        #expect(try await post(json, authorization: "Bearer other", to: gateway).status == 401)
        #expect(try await post("{", authorization: "Bearer other", to: gateway).status == 401)
        #expect(gateway.pushes.isEmpty && gateway.attempts.isEmpty)
        #expect(try await post(json, authorization: "Bearer secret", to: gateway).status == 201)
        #expect(gateway.pushes.count == 1)
    }
}

/// The push worker against the push gateway emulator (`hub sandbox push`) and the real broker.
@Suite("Push delivery against the push gateway emulator", .serialized)
struct PushWorkerTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    let kit = ChannelTesting(.push)

    func notices(_ count: Int, tag: String, tokens: (Int) -> [String]) -> [Notice] {
        (0 ..< count).map { index in
            let request = NotificationRequest(requestId: UUID(), clientKey: "c:" + String(repeating: "e", count: 28) + String(format: "%04d", index),
                                              representativeKey: nil, agency: "PMLP", caseId: "\(tag)-\(index)", serviceId: "PMLP-PASE",
                                              status: .completed, step: nil, messageClass: .informational, occurredAt: Date(), link: "https://latvija.lv/lieta/\(index)")
            return Notice(notificationId: UUID(), channel: .push, recipientKey: request.clientKey, role: .client, to: tokens(index),
                          messageClass: .informational, carriesContent: true, language: "lv", templateId: "*/completed/push/lv",
                          subject: "Pase gatava: lieta \(tag)-\(index)", body: "Jūsu pase ir gatava saņemšanai. Ņemiet līdzi personas apliecību.",
                          request: request, createdAt: Date())
        }
    }

    /// Runs a push worker while `body` runs; with `readiness`, `body` starts once the worker holds its partitions.
    func run(_ gateway: PushGateway, tag: String, timeout: Duration = .seconds(5), ladder: String = "1s,2s,4s", readiness: Readiness? = nil,
             _ body: () async throws -> Void) async throws {
        let worker = ChannelWorkerService(connector: PushConnector(baseURL: gateway.baseURL, apiKey: "test-key", timeout: timeout), client: client,
                                          instance: "push-\(tag)", groupID: "push-\(tag)",
                                          settings: .init(ladder: try RetryLadder(parsing: ladder), confirmEvery: .milliseconds(300), circuitOpenSeconds: 1),
                                          metrics: MetricsRegistry(), readiness: readiness, logger: logger, hubVersion: "test", crashes: nil)
        if let readiness {
            try await whileRunning(worker, ready: { readiness.isReady }, body)
        } else {
            try await whileRunning(worker, body)
        }
    }

    @Test("every device of the client gets the push once, with title, body, data and the idempotency key; receipts say sending then delivered")
    func delivery() async throws {
        try await kit.prepare()
        let tag = "PD" + UUID().uuidString.prefix(6)
        var settings = PushGateway.Settings()
        settings.apiKey = "test-key"
        let gateway = PushGateway(settings: settings)
        try gateway.start()
        defer { gateway.stop() }
        let sent = notices(10, tag: tag) { ["\(tag)-phone-\($0)", "\(tag)-tablet-\($0)"] }
        var receipts: [NotificationReceipt] = []
        try await run(gateway, tag: tag) {
            try await kit.publish(sent)
            receipts = try await kit.receipts(about: tag) { ChannelTesting.final($0).count >= 10 }
        }
        let pushes = gateway.pushes.filter { $0.token.hasPrefix(tag) }
        #expect(pushes.count == 20, "two devices each, once")
        for notice in sent {
            for (index, token) in notice.to.enumerated() {
                let push = try #require(pushes.first { $0.token == token })
                #expect(push.idempotencyKey == "\(notice.notificationId.lowercasedString):\(index)")
                #expect(push.title == notice.subject && push.body == notice.body)
                #expect(push.data["notificationId"] == notice.notificationId.lowercasedString && push.data["caseId"] == notice.request.caseId)
            }
            let mine = receipts.filter { $0.notificationId == notice.notificationId }
            #expect(mine.first?.status == .sending)
            #expect(mine.last?.status == .delivered && mine.last?.gatewayReference?.components(separatedBy: ",").count == 2)
        }
    }

    @Test("410 and 404 mark tokens invalid: a notice with a valid token is delivered naming the others; one with none fails permanently, carrying the notice")
    func invalidTokens() async throws {
        try await kit.prepare()
        let tag = "PI" + UUID().uuidString.prefix(6)
        var settings = PushGateway.Settings()
        settings.goneTokens = ["\(tag)-gone-0", "\(tag)-gone-1"]
        settings.unknownTokens = ["\(tag)-unknown-1"]
        let gateway = PushGateway(settings: settings)
        try gateway.start()
        defer { gateway.stop() }
        let sent = notices(2, tag: tag) { $0 == 0 ? ["\(tag)-good-0", "\(tag)-gone-0"] : ["\(tag)-gone-1", "\(tag)-unknown-1"] }
        var receipts: [NotificationReceipt] = []
        try await run(gateway, tag: tag) {
            try await kit.publish(sent)
            receipts = try await kit.receipts(about: tag) { ChannelTesting.final($0).count >= 2 }
        }
        let final = ChannelTesting.final(receipts)
        let partly = try #require(final[sent[0].notificationId])
        #expect(partly.status == .delivered && partly.reason == "some_contacts_invalid")
        #expect(partly.invalidContacts == [ContactFingerprint.of("\(tag)-gone-0")])
        let failed = try #require(final[sent[1].notificationId])
        #expect(failed.status == .permanentFailure && failed.reason == "contacts_invalid")
        #expect(failed.invalidContacts == [ContactFingerprint.of("\(tag)-gone-1"), ContactFingerprint.of("\(tag)-unknown-1")])
        #expect(failed.notice?.notificationId == sent[1].notificationId, "carries the notice, for the fan-out to fall back")
        #expect(receipts.allSatisfy { receipt in !(receipt.invalidContacts ?? []).contains { $0.contains(tag) } }, "fingerprints, not tokens")
        #expect(gateway.pushes.filter { $0.token.hasPrefix(tag) }.map(\.token) == ["\(tag)-good-0"])
    }

    @Test("the gateway answers 503 for a while, then hangs past the time-out, then recovers: every push arrives exactly once, every receipt is final")
    func outageAndHang() async throws {
        try await kit.prepare()
        let tag = "PO" + UUID().uuidString.prefix(6)
        let gateway = PushGateway()
        try gateway.start()
        defer { gateway.stop() }
        gateway.update { $0.downUntil = .distantFuture }  // down until the worker has met it
        let sent = notices(12, tag: tag) { ["\(tag)-device-\($0)"] }
        var receipts: [NotificationReceipt] = []
        try await run(gateway, tag: tag, timeout: .milliseconds(400), ladder: "1s,1s,2s,2s,4s") {
            try await kit.publish(sent)
            try await waitUntil(seconds: 30) { gateway.refused >= 1 }
            gateway.update { $0.downUntil = Date().addingTimeInterval(2) }
            // Down for 2 s, then slower than the worker waits for 2 s more: time-outs whose pushes still land.
            gateway.update { $0.latency = .milliseconds(700) }
            try await Task.sleep(for: .seconds(4))
            gateway.update { $0.latency = .zero }
            receipts = try await kit.receipts(about: tag) { ChannelTesting.final($0).count >= 12 }
        }
        let pushes = gateway.pushes.filter { $0.token.hasPrefix(tag) }
        #expect(pushes.count == 12, "each once, repeats answered from the idempotency key")
        #expect(Set(pushes.map(\.token)) == Set(sent.map { $0.to[0] }))
        let final = ChannelTesting.final(receipts)
        #expect(final.count == 12 && final.values.allSatisfy { $0.status == .delivered })
        let attempts = gateway.attempts.filter { $0.key.hasPrefix(sent[0].notificationId.lowercasedString) }.values.reduce(0, +)
        #expect(attempts >= 2, "the first notice was tried more than once (\(attempts))")
    }

    @Test("a technical failure replayed from the dead-letter topic once the gateway is back: delivered once; replayed again, nothing more is sent")
    func replayAfterTechnicalFailure() async throws {
        try await kit.prepare()
        let tag = "PR" + UUID().uuidString.prefix(6)
        let gateway = PushGateway()
        try gateway.start()
        defer { gateway.stop() }
        gateway.update { $0.downUntil = .distantFuture }
        let sent = notices(2, tag: tag) { ["\(tag)-device-\($0)"] }
        let replayer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        var receipts: [NotificationReceipt] = []
        var attemptsAfterFirstReplay = 0
        func attempts() -> Int { gateway.attempts.filter { attempt in sent.contains { attempt.key.hasPrefix($0.notificationId.lowercasedString) } }.values.reduce(0, +) }
        try await run(gateway, tag: tag, ladder: "1s") {
            try await kit.publish(sent)
            let failed = try await kit.receipts(about: tag) { ChannelTesting.final($0).count >= 2 }
            #expect(ChannelTesting.final(failed).values.allSatisfy { $0.status == .technicalFailure })
            let letters = try await readUntil(HubTopics.hubDeadLetter.name, client: client,
                                              keep: { record in DeadLetter(record).map { Self.isAbout($0, tag) } ?? false },
                                              until: { $0.count >= 2 }).compactMap { DeadLetter($0) }
            #expect(letters.count == 2 && letters.allSatisfy { $0.originTopic == NotifyChannel.push.topic })
            gateway.update { $0.downUntil = nil }
            for letter in letters { _ = try await replayer.send(Replay.record(for: letter, by: "test-operator", at: Date())) }
            receipts = try await kit.receipts(about: tag) { receipts in
                ChannelTesting.final(receipts).values.filter { $0.status == .delivered }.count >= 2
            }
            // A second replay of the same dead letters: the notices are delivered now, so the gateway is not called again.
            attemptsAfterFirstReplay = attempts()
            for letter in letters { _ = try await replayer.send(Replay.record(for: letter, by: "test-operator", at: Date())) }
            try await Task.sleep(for: .seconds(3))
            receipts = try await kit.receipts(about: tag) { receipts in
                ChannelTesting.final(receipts).values.filter { $0.status == .delivered }.count >= 2
            }
        }
        #expect(attempts() == attemptsAfterFirstReplay, "no call after the second replay")
        await replayer.close()
        let pushes = gateway.pushes.filter { $0.token.hasPrefix(tag) }
        #expect(pushes.count == 2, "each once")
        for notice in sent {
            let statuses = receipts.filter { $0.notificationId == notice.notificationId }.map(\.status)
            #expect(statuses.contains(.technicalFailure) && statuses.last == .delivered, "\(statuses)")
            let handedOver = receipts.filter { $0.notificationId == notice.notificationId && $0.status == .sending && $0.reason == nil }
            #expect(handedOver.count == 2, "once before the failure, once on the first replay")
        }
    }

    @Test("a worker starts from the receipts of its ledger's memory: sends left unconfirmed before it are not taken up again, later ones are")
    func ledgerMemory() async throws {
        try await kit.prepare()
        let tag = "PM" + UUID().uuidString.prefix(6), laterTag = "PN" + UUID().uuidString.prefix(6)
        let gateway = PushGateway()
        try gateway.start()
        defer { gateway.stop() }
        // `sending` receipts of notices whose worker died before any outcome: three before the memory, three within it.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        func handedOver(_ notices: [Notice]) async throws {
            _ = try await producer.sendAll(try notices.map { notice in
                let receipt = NotificationReceipt(notificationId: notice.notificationId, status: .sending, channel: .push, recipientKey: notice.recipientKey,
                                                  requestId: notice.request.requestId, agency: notice.request.agency, caseId: notice.request.caseId,
                                                  messageClass: notice.messageClass, at: Date())
                return KafkaProducerRecord(topic: HubTopics.notifyReceipts.name, key: Array(notice.recipientKey.utf8), value: try RecordJSON.bytes(receipt))
            })
        }
        try await handedOver(notices(3, tag: tag) { ["\(tag)-device-\($0)"] })
        try await Task.sleep(for: .seconds(9))
        try await handedOver(notices(3, tag: laterTag) { ["\(laterTag)-device-\($0)"] })
        await producer.close()
        let worker = ChannelWorkerService(connector: PushConnector(baseURL: gateway.baseURL, apiKey: nil, timeout: .seconds(5)), client: client,
                                          instance: "push-\(tag)", groupID: "push-\(tag)",
                                          settings: .init(confirmEvery: .milliseconds(300), confirmTimeout: .seconds(1), ledgerMemory: .seconds(6)),
                                          metrics: MetricsRegistry(), readiness: nil, logger: logger, hubVersion: "test", crashes: nil)
        func unconfirmed(_ receipts: [NotificationReceipt]) -> [NotificationReceipt] {
            receipts.filter { $0.status == .temporaryFailure && $0.reason == "unconfirmed" }
        }
        try await whileRunning(worker) {
            // Those within the memory are outstanding: the gateway never had them, so after the time-out they are reported.
            let later = try await kit.receipts(about: laterTag) { unconfirmed($0).count >= 3 }
            #expect(unconfirmed(later).count == 3)
            try await Task.sleep(for: .seconds(2))
        }
        let earlier = try await kit.receipts(about: tag, seconds: 5) { _ in false }
        #expect(earlier.count == 3 && unconfirmed(earlier).isEmpty, "the worker never read those: \(earlier.map(\.status))")
    }

    static func isAbout(_ letter: DeadLetter, _ tag: String) -> Bool {
        letter.value.map { String(decoding: $0, as: UTF8.self).contains("\"\(tag)-") } ?? false
    }

    @Test("quiet hours: a notice with notBefore is held, survives a worker restart, and goes out when due; one without waits for nothing")
    func heldUntilNotBefore() async throws {
        try await kit.prepare()
        let tag = "PQ" + UUID().uuidString.prefix(6)
        let gateway = PushGateway()
        try gateway.start()
        defer { gateway.stop() }
        var sent = notices(3, tag: tag) { ["\(tag)-device-\($0)"] }
        var due = Date.distantFuture
        // First worker: holds two, sends the third at once; stopped before the two are due. The notices are written once
        // it holds its partitions: a start slowed by other suites must not let them fall due first.
        try await run(gateway, tag: tag, readiness: Readiness()) {
            due = Date().addingTimeInterval(15)
            sent[0].notBefore = due
            sent[1].notBefore = due.addingTimeInterval(1)
            try await kit.publish(sent)
            _ = try await kit.receipts(about: tag) { receipts in
                receipts.filter { $0.status == .scheduled }.count >= 2 && ChannelTesting.final(receipts)[sent[2].notificationId] != nil
            }
        }
        #expect(gateway.pushes.filter { $0.token.hasPrefix(tag) }.map(\.token) == ["\(tag)-device-2"], "only the one without notBefore so far")
        #expect(Date() < due, "the test stopped the first worker before the held notices were due")
        // Second worker (same group): releases them when due, from notify.scheduled.
        var receipts: [NotificationReceipt] = []
        try await run(gateway, tag: tag) {
            receipts = try await kit.receipts(about: tag) { ChannelTesting.final($0).count >= 3 }
        }
        let pushes = gateway.pushes.filter { $0.token.hasPrefix(tag) }
        #expect(pushes.count == 3, "each once")
        for notice in sent[0 ... 1] {
            let push = try #require(pushes.first { $0.token == notice.to[0] })
            #expect(push.deliveredAt >= notice.notBefore!, "not before its time")
            #expect(push.deliveredAt < notice.notBefore!.addingTimeInterval(10), "and not much after")
            let statuses = receipts.filter { $0.notificationId == notice.notificationId }.map(\.status)
            #expect(statuses.first == .scheduled && statuses.last == .delivered, "\(statuses)")
        }
    }
}
