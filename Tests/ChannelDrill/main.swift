// A channel worker as a process a test can kill at the worst moment: with
// DRILL_CRASH_MARK set, it exits right after the first gateway call that
// succeeds (before the outcome is committed), once, leaving the mark file
// (holding that notice's id) so the restarted worker runs normally. With
// DRILL_CRASH_CASES set, only a notice whose case id starts with it counts:
// the drill reads all of its topic, and other suites' notices on it must not
// be the one it dies on. Other
// notices in flight at that moment die with it, sent or not. DRILL_CHANNEL picks the worker: the
// e-address one (DRILL_MAILBOX), the e-mail one (DRILL_SMTP_URL), or the SMS one through Kannel
// (DRILL_KANNEL_SEND, _USER, _PASSWORD) with its delivery-report server on
// DRILL_CALLBACK_PORT, the same for every run so Kannel's retried call-backs
// reach the restarted worker. Not part of the hub.
import ChannelDelivery
import ChannelWorker
import DeadLetters
import EAddressConnector
import EmailConnector
import Foundation
import HTTPServer
import HubLogging
import HubRuntime
import Kafka
import SMSConnector
import Topics

let environment = ProcessInfo.processInfo.environment
let mark = environment["DRILL_CRASH_MARK"]
let crashCases = environment["DRILL_CRASH_CASES"] ?? ""

struct CrashingOnce: ChannelConnector {
    let inner: any ChannelConnector
    var channel: NotifyChannel { inner.channel }
    var canConfirm: Bool { inner.canConfirm }
    var confirmsByCallback: Bool { inner.confirmsByCallback }
    func send(_ notice: Notice) async -> GatewayOutcome {
        let outcome = await inner.send(notice)
        if let mark, notice.request.caseId.hasPrefix(crashCases), !FileManager.default.fileExists(atPath: mark) {
            _ = FileManager.default.createFile(atPath: mark, contents: Data(notice.notificationId.uuidString.utf8))
            exit(9)  // between the gateway call and the commit
        }
        return outcome
    }
    func status(of notificationId: UUID) async -> GatewayOutcome? { await inner.status(of: notificationId) }
    var statusBatchLimit: Int { inner.statusBatchLimit }
    func statuses(of notificationIds: [UUID]) async -> [UUID: GatewayOutcome] { await inner.statuses(of: notificationIds) }
}

let client = KafkaClientProperties(["bootstrap.servers": environment["DRILL_BOOTSTRAP"]!, "session.timeout.ms": "6000"])
let logger = Logger(component: "channel-drill", threshold: .info)
// Gateway connections and notices in hand (the defaults unless the test sets them).
let inFlight = Int(environment["DRILL_INFLIGHT"] ?? "") ?? 8
let prepared = Int(environment["DRILL_PREPARED"] ?? "")
let connector: CrashingOnce
var reports: DeliveryReportInbox?
if environment["DRILL_CHANNEL"] == "sms" {
    let inbox = DeliveryReportInbox()
    var router = HTTPRouter()
    router.register("GET", KannelDeliveryReport.path, handler: KannelDeliveryReport.handler(inbox))
    var configuration = HTTPServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = Int(environment["DRILL_CALLBACK_PORT"]!)!
    let callbacks = HTTPServer(configuration: configuration, router: router)
    try callbacks.start()
    reports = inbox
    connector = CrashingOnce(inner: KannelConnector(settings: .init(
        sendURL: environment["DRILL_KANNEL_SEND"]!, username: environment["DRILL_KANNEL_USER"]!, password: environment["DRILL_KANNEL_PASSWORD"]!,
        sender: "Latvija.lv", callbackURL: "http://127.0.0.1:\(configuration.port)\(KannelDeliveryReport.path)"), connections: inFlight))
} else if environment["DRILL_CHANNEL"] == "email" {
    connector = CrashingOnce(inner: SMTPConnector(settings: .init(url: environment["DRILL_SMTP_URL"]!, from: "a@hub.gov.lv")))
} else {
    connector = CrashingOnce(inner: EAddressConnector(baseURL: URL(string: environment["DRILL_MAILBOX"]!)!, sender: "HUB", connections: inFlight))
}
let confirmTimeout = Duration.seconds(Int(environment["DRILL_CONFIRM_TIMEOUT_SECONDS"] ?? "") ?? 3600)
let worker = ChannelWorkerService(connector: connector, client: client, instance: environment["DRILL_INSTANCE"]!, groupID: environment["DRILL_GROUP"],
                                  settings: .init(ladder: try RetryLadder(parsing: "500ms,1s"), confirmEvery: .milliseconds(300),
                                                  confirmTimeout: confirmTimeout, inFlight: inFlight, prepared: prepared),
                                  metrics: MetricsRegistry(), readiness: nil, logger: logger, hubVersion: "drill", crashes: nil, reports: reports)
try await ServiceGroup(services: [worker], logger: logger).run()
