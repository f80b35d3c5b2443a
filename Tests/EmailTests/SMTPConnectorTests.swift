import BrokerTestSupport
import ChannelDelivery
import ChannelWorker
import DeadLetters
import EmailConnector
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Sandboxes
import Testing
import Topics

/// A real SMTP server (aiosmtpd, from PyPI, installed by the bootstrap; run by `SMTPSandbox`) writing what it receives
/// to a maildir, and the messages read back from it.
final class SMTPServer: Sendable {
    let sandbox: SMTPSandbox
    var port: Int { sandbox.port }

    /// `sizeLimit`: messages larger than this many bytes are refused (552). `secured`: STARTTLS
    /// and AUTH required (`Tests/EmailTests/smtp_relay.py`), with this certificate, key, user and password.
    init(port: Int = 0, sizeLimit: Int? = nil, secured: (cert: String, key: String, user: String, password: String)? = nil) throws {
        let relay = packageRoot.appendingPathComponent("Tests/EmailTests/smtp_relay.py").path
        sandbox = try SMTPSandbox(port: port, sizeLimit: sizeLimit, script: secured.map { secured in
            { port, maildir in [relay, String(port), maildir, secured.cert, secured.key, secured.user, secured.password] }
        }, log: NSTemporaryDirectory() + "/aiosmtpd-\(UUID().uuidString.prefix(8)).log")
    }

    /// Starts it and returns once it accepts connections.
    func start() async throws { try await sandbox.start() }

    @discardableResult
    func stop() -> Int32? { sandbox.stop() }

    /// Successful logins so far (the secured relay writes one line per SMTP session).
    var logins: Int {
        ((try? String(contentsOfFile: sandbox.maildir + ".logins", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// Every delivered message, as (headers unfolded and decoded, body decoded).
    var messages: [(headers: [String: String], body: String)] {
        let directory = sandbox.maildir + "/new"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }.map(Self.parse)
    }

    static func parse(_ raw: String) -> (headers: [String: String], body: String) {
        let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = text.components(separatedBy: "\n\n")
        var headers: [String: String] = [:]
        var last: String?
        for line in parts[0].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let last {
                headers[last, default: ""] += line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = String(line[..<colon]).lowercased()
                headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = name
            }
        }
        for (name, value) in headers { headers[name] = decodeWords(value) }
        let bodyText = parts.dropFirst().joined(separator: "\n\n").replacingOccurrences(of: "\n", with: "")
        let body = Data(base64Encoded: bodyText).map { String(decoding: $0, as: UTF8.self) } ?? bodyText
        return (headers, body)
    }

    static func decodeWords(_ value: String) -> String {
        guard value.contains("=?UTF-8?B?") else { return value }
        return value.components(separatedBy: "?==?UTF-8?B?").joined(separator: "?= =?UTF-8?B?").split(separator: " ").map { word -> String in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return String(word) }
            let encoded = word.dropFirst(10).dropLast(2)
            return Data(base64Encoded: String(encoded)).map { String(decoding: $0, as: UTF8.self) } ?? String(word)
        }.joined()
    }
}

@Suite("E-mail through a real SMTP server", .serialized)
struct SMTPConnectorTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    func notice(_ index: Int, tag: String, to: String = "anna.berzina@example.lv") -> Notice {
        let request = NotificationRequest(requestId: UUID(), clientKey: "c:" + String(repeating: "b", count: 32), representativeKey: nil, agency: "VSAA",
                                          caseId: "\(tag)-\(index)", serviceId: "VSAA-PENS", status: .accepted, step: nil, messageClass: .informational,
                                          occurredAt: Date(), link: nil)
        return Notice(notificationId: UUID(), channel: .email, recipientKey: request.clientKey, role: .client, to: [to], messageClass: .informational,
                      carriesContent: true, language: "lv", templateId: "*/accepted/email/lv",
                      subject: "Vecuma pensijas piešķiršana: lieta \(tag)-\(index) — ļoti garš temats ar garumzīmēm āčēģīķļņšūž",
                      body: "Labdien!\n\nJūsu pieteikums “Vecuma pensijas piešķiršana” (lieta \(tag)-\(index)) ir pieņemts izskatīšanai.\n\nAr cieņu,\nVSAA",
                      request: request, createdAt: Date())
    }

    @Test("a Latvian subject and body arrive intact, with the Message-ID of the notification")
    func direct() async throws {
        let server = try SMTPServer()
        defer { server.stop() }
        try await server.start()
        let connector = SMTPConnector(settings: .init(url: "smtp://127.0.0.1:\(server.port)", from: "pazinojumi@hub.gov.lv"))
        let sent = notice(1, tag: "D")
        let outcome = await connector.send(sent)
        guard case .delivered(let reference, _) = outcome else { Issue.record("expected delivery, got \(outcome)"); return }
        #expect(reference == "<\(sent.notificationId.uuidString.lowercased())@hub.gov.lv>")
        try await waitUntil(seconds: 10) { !server.messages.isEmpty }
        let message = try #require(server.messages.first)
        #expect(message.headers["subject"] == sent.subject)
        #expect(message.body == sent.body)
        #expect(message.headers["message-id"] == reference)
        #expect(message.headers["to"] == "anna.berzina@example.lv" && message.headers["from"] == "pazinojumi@hub.gov.lv")
        #expect(message.headers["content-type"] == "text/plain; charset=UTF-8")
    }

    @Test("no server: temporary; a message the server refuses (552, too large): permanent")
    func failures() async throws {
        let nobody = SMTPConnector(settings: .init(url: "smtp://127.0.0.1:9", from: "a@hub.gov.lv"))
        #expect(await nobody.send(notice(1, tag: "F")).isTemporary)
        let server = try SMTPServer(sizeLimit: 200)
        defer { server.stop() }
        try await server.start()
        let connector = SMTPConnector(settings: .init(url: "smtp://127.0.0.1:\(server.port)", from: "a@hub.gov.lv"))
        let outcome = await connector.send(notice(2, tag: "F"))
        if case .permanent(let code, _) = outcome { #expect(code.hasPrefix("smtp_5")) } else { Issue.record("expected a refusal, got \(outcome)") }
    }

    @Test("STARTTLS and AUTH required by the relay: the right password delivers, one session for many messages, a wrong one is refused")
    func startTLSAndAuth() async throws {
        let directory = NSTemporaryDirectory() + "/smtp-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
                             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        try await waitUntil(seconds: 30) { !openssl.isRunning }
        let server = try SMTPServer(secured: (directory + "/cert.pem", directory + "/key.pem", "hub", "s3cret"))
        defer { server.stop() }
        try await server.start()
        var settings = SMTPConnector.Settings(url: "smtp://127.0.0.1:\(server.port)", from: "pazinojumi@hub.gov.lv")
        settings.caFile = directory + "/cert.pem"
        settings.requireTLS = true
        settings.user = "hub"
        settings.password = "s3cret"
        settings.timeoutSeconds = 10
        let sent = notice(1, tag: "TLS")
        // One connection: its session (STARTTLS, AUTH) carries every message, as a relay under load wants.
        let connector = SMTPConnector(settings: settings, connections: 1)
        let outcome = await connector.send(sent)
        guard case .delivered = outcome else { Issue.record("expected delivery, got \(outcome)"); return }
        try await waitUntil(seconds: 10) { !server.messages.isEmpty }
        #expect(server.messages.first?.headers["subject"] == sent.subject)
        for index in 2 ... 4 {
            let next = await connector.send(notice(index, tag: "TLS"))
            guard case .delivered = next else { Issue.record("expected delivery, got \(next)"); return }
        }
        try await waitUntil(seconds: 10) { server.messages.count == 4 }
        #expect(server.logins == 1)
        settings.password = "wrong"
        let refused = await SMTPConnector(settings: settings).send(notice(5, tag: "TLS"))
        if case .permanent(let code, _) = refused { #expect(code == "smtp_auth" || code.hasPrefix("smtp_5")) } else { Issue.record("expected a refusal, got \(refused)") }
        #expect(server.messages.count == 4)
    }

    @Test("the sandbox's server and the test relay stop on SIGTERM, not SIGKILL")
    func stopsOnTerm() async throws {
        let plain = try SMTPSandbox()
        try await plain.start()
        #expect(plain.stop() == SIGTERM)
        let relay = try SMTPServer()
        try await relay.start()
        #expect(relay.stop() == SIGTERM)
        #expect(relay.stop() == nil)
    }

    @Test("a session the relay dropped (it restarted) is opened again for the next message")
    func relayRestarted() async throws {
        let first = try SMTPServer()
        try await first.start()
        let connector = SMTPConnector(settings: .init(url: "smtp://127.0.0.1:\(first.port)", from: "a@hub.gov.lv"), connections: 1)
        let before = await connector.send(notice(1, tag: "R"))
        first.stop()
        guard case .delivered = before else { Issue.record("expected delivery, got \(before)"); return }
        let second = try SMTPServer(port: first.port)
        defer { second.stop() }
        try await second.start()
        let after = await connector.send(notice(2, tag: "R"))
        guard case .delivered = after else { Issue.record("expected delivery after the restart, got \(after)"); return }
        try await waitUntil(seconds: 10) { second.messages.count == 1 }
    }

    @Test("through the worker on the real broker: each notice once, receipts sending then delivered")
    func worker() async throws {
        let server = try SMTPServer()
        defer { server.stop() }
        try await server.start()
        try await createTopics()
        let tag = "EM" + UUID().uuidString.prefix(6)
        let worker = ChannelWorkerService(connector: SMTPConnector(settings: .init(url: "smtp://127.0.0.1:\(server.port)", from: "a@hub.gov.lv")),
                                          client: client, instance: "em-\(tag)", groupID: "em-\(tag)", settings: .init(ladder: .none),
                                          metrics: MetricsRegistry(), readiness: nil, logger: logger, hubVersion: "test", crashes: nil)
        let shutdown = ShutdownSignal()
        let running = Task { try await worker.run(shutdown: shutdown) }
        let sent = (0 ..< 10).map { notice($0, tag: tag) }
        try await publish(sent)
        let receipts = try await readUntil(HubTopics.notifyReceipts.name, client: client,
                                           keep: { record in Self.receipt(record)?.caseId.hasPrefix("\(tag)-") == true },
                                           until: { $0.compactMap(Self.receipt).filter { $0.status == .delivered }.count >= 10 }).compactMap(Self.receipt)
        shutdown.trigger()
        try await running.value
        let mine = server.messages.filter { $0.body.contains(tag) }
        #expect(mine.count == 10)
        #expect(Set(mine.compactMap { $0.headers["message-id"] }) == Set(sent.map { "<\($0.notificationId.uuidString.lowercased())@hub.gov.lv>" }))
        for notice in sent {
            #expect(receipts.filter { $0.notificationId == notice.notificationId }.map(\.status) == [.sending, .delivered])
        }
    }

    /// The drill dies right after the relay accepted notice `crashAt` of `count` (one recipient's, so sent in order). Those
    /// accepted before it got their `delivered` receipt at once, so only that one is left uncertain, however many of the
    /// batch went before it (before, their receipts waited for the batch's commit and a crash made them all `ambiguous_send`).
    @Test("killed between the relay's acceptance and the commit: restarted, it does not send that one again; technical-failure ambiguous_send and a dead letter to replay; those sent before it are delivered",
          arguments: [(6, 0), (10, 7)])
    func crashBetweenSendAndCommit(count: Int, crashAt: Int) async throws {
        let server = try SMTPServer()
        defer { server.stop() }
        try await server.start()
        try await createTopics()
        let tag = "EK" + UUID().uuidString.prefix(6)
        let mark = NSTemporaryDirectory() + "/channel-drill-\(tag)"
        let environment = ["DRILL_CHANNEL": "email", "DRILL_BOOTSTRAP": LocalBroker.testBootstrap, "DRILL_SMTP_URL": "smtp://127.0.0.1:\(server.port)",
                           "DRILL_INSTANCE": "edrill-\(tag)", "DRILL_GROUP": "edrill-\(tag)", "DRILL_CRASH_MARK": mark, "DRILL_CRASH_CASES": "\(tag)-\(crashAt)",
                           "DRILL_INFLIGHT": "1", "DRILL_PREPARED": "4"]
        let sent = (0 ..< count).map { notice($0, tag: tag) }
        try await publish(sent)
        let first = try startChild("channel-drill", environment: environment, log: "/tmp/channel-drill-\(tag)-1.log")
        try await waitUntil(seconds: 60) { !first.isRunning }
        #expect(first.terminationStatus == 9, "it died right after a gateway call")
        let second = try startChild("channel-drill", environment: environment, log: "/tmp/channel-drill-\(tag)-2.log")
        defer { if second.isRunning { second.terminate() } }
        let receipts = try await readUntil(HubTopics.notifyReceipts.name, client: client, seconds: 90,
                                           keep: { record in Self.receipt(record)?.caseId.hasPrefix("\(tag)-") == true },
                                           until: { ChannelTesting.final($0.compactMap(Self.receipt)).count >= sent.count }).compactMap(Self.receipt)
        let letters = try await readUntil(HubTopics.hubDeadLetter.name, client: client,
                                          keep: { record in DeadLetter(record)?.value.map { String(decoding: $0, as: UTF8.self).contains("\(tag)-") } ?? false },
                                          until: { $0.count >= 1 }).compactMap { DeadLetter($0) }
        second.terminate()
        try await waitUntil(seconds: 30) { !second.isRunning }

        let crashed = try #require(UUID(uuidString: String(decoding: try Data(contentsOf: URL(fileURLWithPath: mark)), as: UTF8.self)))
        #expect(crashed == sent[crashAt].notificationId)
        let final = ChannelTesting.final(receipts)
        #expect(final[crashed]?.status == .technicalFailure && final[crashed]?.reason == "ambiguous_send")
        #expect(letters.map(\.code) == ["ambiguous_send"] && letters.first.flatMap { try? RecordJSON.decode(Notice.self, from: $0.value ?? []) }?.notificationId == crashed,
                "the notice is on the dead-letter topic, for an operator to replay once they checked the mailbox")
        for notice in sent {
            let arrived = server.messages.filter { $0.headers["message-id"] == "<\(notice.notificationId.uuidString.lowercased())@hub.gov.lv>" }.count
            #expect(arrived == 1, "each once, the uncertain one too: \(arrived)")
            if notice.notificationId != crashed { #expect(final[notice.notificationId]?.status == .delivered) }
        }
    }

    func createTopics() async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([HubTopics.notifyEmail, HubTopics.notifyReceipts, HubTopics.hubDeadLetter]
            .map { KafkaTopicSpecification(name: $0.name, partitions: Int32($0.partitions)) })
        await admin.close()
    }

    func publish(_ notices: [Notice]) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(try notices.map {
            KafkaProducerRecord(topic: HubTopics.notifyEmail.name, key: Array($0.recipientKey.utf8), value: Array(try RecordJSON.encode($0)))
        })
        await producer.close()
    }

    static func receipt(_ record: KafkaConsumerRecord) -> NotificationReceipt? {
        record.value.flatMap { try? RecordJSON.decode(NotificationReceipt.self, from: Data($0)) }
    }
}

@Suite("E-mail message rendering")
struct MailMessageTests {
    @Test("ASCII subjects stay; UTF-8 ones become encoded words that decode back; the body is base64 in short lines")
    func rendering() {
        let id = UUID()
        let ascii = MailMessage(from: "a@x.lv", to: "b@x.lv", subject: "Case 1", body: "Hello", notificationId: id, domain: "hub.gov.lv")
        #expect(ascii.rendered.contains("\r\nSubject: Case 1\r\n"))
        #expect(ascii.rendered.contains("Message-ID: <\(id.uuidString.lowercased())@hub.gov.lv>"))
        let subject = String(repeating: "Ūdens pievads ", count: 8)
        let latvian = MailMessage(from: "a@x.lv", to: "b@x.lv", subject: subject, body: String(repeating: "ā", count: 200), notificationId: id, domain: "x")
        let parsed = SMTPServer.parse(latvian.rendered)
        #expect(parsed.headers["subject"] == subject)
        #expect(parsed.body == String(repeating: "ā", count: 200))
        #expect(latvian.rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }
}
