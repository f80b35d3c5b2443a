import BrokerTestSupport
import ChannelDelivery
import ChannelWorker
import DeadLetters
import Foundation
import HTTPServer
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Notifications
import Sandboxes
import SMSConnector
import Synchronization
import Testing
import Topics

/// A delivery-report endpoint like the worker's: Kannel's call-backs into an inbox.
final class CallbackServer: Sendable {
    let inbox = DeliveryReportInbox()
    let server: HTTPServer
    init() throws {
        var router = HTTPRouter()
        router.register("GET", KannelDeliveryReport.path, handler: KannelDeliveryReport.handler(inbox))
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        server = HTTPServer(configuration: configuration, router: router)
        try server.start()
    }
    var url: String { "http://127.0.0.1:\(server.port)\(KannelDeliveryReport.path)" }
    func stop() { server.shutdown() }
}

/// `first`: the index of the first notice; phone numbers and client keys follow the index.
func smsNotices(_ count: Int, tag: String, first: Int = 0, body: (Int) -> String) -> [Notice] {
    (first ..< first + count).map { index in
        let request = NotificationRequest(requestId: UUID(), clientKey: "c:" + String(repeating: "d", count: 28) + String(format: "%04d", index),
                                          representativeKey: nil, agency: "CSDD", caseId: "\(tag)-\(index)", serviceId: "CSDD-REG",
                                          status: .accepted, step: nil, messageClass: .informational, occurredAt: Date(), link: nil)
        let text = SMSText(body(index))
        return Notice(notificationId: UUID(), channel: .sms, recipientKey: request.clientKey, role: .client, to: [String(format: "37199%06d", index)],
                      messageClass: .informational, carriesContent: true, language: "lv", templateId: "*/accepted/sms/lv", subject: nil, body: body(index),
                      smsSegments: text.segments, smsEncoding: text.encoding.rawValue, request: request, createdAt: Date())
    }
}

let longLatvian = "Labdien! Jūsu iesniegums par transportlīdzekļa reģistrāciju ir pieņemts izskatīšanai. Lēmumu saņemsiet e-adresē. Paldies, ka izmantojat e-pakalpojumus."

@Suite("SMS through a real Kannel gateway", .serialized, .enabled(if: KannelSandbox.isInstalled, "Kannel (Debian kannel, kannel-extras) is installed by the bootstrap"))
struct KannelTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    @Test("a long Latvian text arrives whole as concatenated UCS-2, a plain one as text; Kannel reports delivery with the operator's id")
    func direct() async throws {
        let kannel = try KannelSandbox()
        try await kannel.start()
        defer { kannel.stop() }
        let callbacks = try CallbackServer()
        defer { callbacks.stop() }
        let reports = Mutex<[DeliveryReport]>([])
        callbacks.inbox.attach { report in reports.withLock { $0.append(report) }; return .recorded }
        let connector = KannelConnector(settings: .init(sendURL: kannel.sendURL, username: kannel.username, password: kannel.password,
                                                        sender: "Latvija.lv", callbackURL: callbacks.url))
        let sent = smsNotices(2, tag: "KD") { $0 == 0 ? longLatvian : "Your application KD-1 was accepted." }
        for notice in sent {
            let outcome = await connector.send(notice)
            #expect(outcome == .accepted(reference: "kannel"))
        }
        try await waitUntil(seconds: 30) { kannel.received.count >= 2 && reports.withLock { $0.filter { $0.outcome == .delivered }.count } >= 2 }
        let received = kannel.received
        #expect(received.count == 2)
        let long = try #require(received.first { $0.to == sent[0].to[0] })
        #expect(long.text == longLatvian, "the handset shows the text whole")
        #expect(long.ucs2 && long.parts == 3, "in \(long.parts) UCS-2 parts")
        #expect(long.from == "Latvija.lv")
        #expect(received.first { $0.to == sent[1].to[0] }?.text == "Your application KD-1 was accepted.")
        let got = reports.withLock { $0 }
        for notice in sent {
            let mine = got.filter { $0.notificationId == notice.notificationId }
            let delivered = try #require(mine.first { $0.outcome == .delivered })
            #expect(delivered.reference?.isEmpty == false, "the SMSC's message id")
        }
    }

    @Test("a refused login is permanent; a gateway that is not there is temporary")
    func refusals() async throws {
        let kannel = try KannelSandbox()
        try await kannel.start()
        defer { kannel.stop() }
        let notice = smsNotices(1, tag: "KR") { _ in "x" }[0]
        let wrong = KannelConnector(settings: .init(sendURL: kannel.sendURL, username: kannel.username, password: "wrong", sender: "S", callbackURL: nil))
        guard case .permanent(code: "http_403", _) = await wrong.send(notice) else { Issue.record("a refused login is permanent"); return }
        let absent = KannelConnector(settings: .init(sendURL: "http://127.0.0.1:\(try LocalBroker.freePort())/cgi-bin/sendsms", username: "a",
                                                     password: "b", sender: "S", callbackURL: nil))
        guard case .temporary(code: "unreachable", _) = await absent.send(notice) else { Issue.record("no gateway is temporary"); return }
        #expect(kannel.received.isEmpty)
    }
}
