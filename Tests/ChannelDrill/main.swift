// The e-address channel worker as a process a test can kill at the worst
// moment: with DRILL_CRASH_MARK set, it exits right after the first gateway
// call that succeeds (before the outcome is committed), once, leaving the
// mark file so the restarted worker runs normally. Not part of the hub.
import ChannelDelivery
import ChannelWorker
import DeadLetters
import EAddressConnector
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Topics

let environment = ProcessInfo.processInfo.environment
let mark = environment["DRILL_CRASH_MARK"]

struct CrashingOnce: ChannelConnector {
    let inner: EAddressConnector
    var channel: NotifyChannel { inner.channel }
    var canConfirm: Bool { inner.canConfirm }
    func send(_ notice: Notice) async -> GatewayOutcome {
        let outcome = await inner.send(notice)
        if let mark, !FileManager.default.fileExists(atPath: mark) {
            _ = FileManager.default.createFile(atPath: mark, contents: Data())
            exit(9)  // between the gateway call and the commit
        }
        return outcome
    }
    func status(of notificationId: UUID) async -> GatewayOutcome? { await inner.status(of: notificationId) }
}

let client = KafkaClientProperties(["bootstrap.servers": environment["DRILL_BOOTSTRAP"]!, "session.timeout.ms": "6000"])
let connector = CrashingOnce(inner: EAddressConnector(baseURL: URL(string: environment["DRILL_MAILBOX"]!)!, sender: "HUB"))
let logger = Logger(component: "channel-drill", threshold: .info)
let worker = ChannelWorkerService(connector: connector, client: client, instance: environment["DRILL_INSTANCE"]!, groupID: environment["DRILL_GROUP"],
                                  settings: .init(ladder: try RetryLadder(parsing: "500ms,1s"), confirmEvery: .milliseconds(300)),
                                  metrics: MetricsRegistry(), readiness: nil, logger: logger, hubVersion: "drill", crashes: nil)
try await ServiceGroup(services: [worker], logger: logger).run()
