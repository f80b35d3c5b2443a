import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Notifications
import Topics

/// Notification fan-out's Kafka shell. Follows `clients.profiles`,
/// `notify.templates` and `catalogue.services` as tables, remembers from
/// `notify.receipts` what was already made (within its memory), then runs two stages on the
/// shared failure path: requests (`notify.requests`) become notices on
/// `notify.<channel>` and receipts, and channel workers' permanent
/// failures (on `notify.receipts`) move notices to the next channel, while
/// push tokens a receipt names as invalid leave the client's profile. Each
/// stage writes in one transaction with its input offsets.
public final class NotificationFanOutService: HubService {
    public let name = "notify-fanout"
    private let client: KafkaClientProperties
    private let instance: String
    private let groupID: String
    private let settings: NoticeRouter.Settings
    private let metrics: MetricsRegistry
    private let readiness: Readiness?
    private let logger: Logger
    private let hubVersion: String
    private let crashes: CrashJournal.Settings?
    private let memory: Duration

    /// `memory`: how long the fan-out remembers each notice it made at least (twice that at most), and how much of
    /// `notify.receipts` it reads when it starts: a request seen again within it makes nothing twice.
    public init(client: KafkaClientProperties, instance: String, groupID: String = "hub-notify-fanout", settings: NoticeRouter.Settings,
                metrics: MetricsRegistry, readiness: Readiness?, logger: Logger, hubVersion: String, crashes: CrashJournal.Settings?,
                memory: Duration = .seconds(14 * 86_400)) {
        self.memory = memory
        self.client = client
        self.instance = instance
        self.groupID = groupID
        self.settings = settings
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger.named(name)
        self.hubVersion = hubVersion
        self.crashes = crashes
    }

    public func run(shutdown: ShutdownSignal) async throws {
        let processor = FanOutProcessor(settings: settings, metrics: metrics, memory: memory.inSeconds)
        let tables = [
            CompactedTable(topic: HubTopics.clientsProfiles.name, client: client, logger: logger) { processor.applyProfile(key: $0, value: $1) },
            CompactedTable(topic: HubTopics.notifyTemplates.name, client: client, logger: logger) { processor.applyTemplate(key: $0, value: $1) },
            CompactedTable(topic: HubTopics.catalogueServices.name, client: client, logger: logger) { processor.applyService(key: $0, value: $1) },
        ]
        let stopTables = ShutdownSignal()
        let following = tables.map { table in Task { try await table.follow(until: stopTables) } }
        defer {
            stopTables.trigger()
            for task in following { task.cancel() }
        }
        for table in tables { try await table.caughtUp() }
        // What was made within the memory, not over the topic's whole retention (on Tansu, which looks records up by
        // when it appended them and answers 0 when it finds none, possibly more).
        let remembered = Date().addingTimeInterval(-memory.inSeconds)
        try await TopicSnapshot.read(topics: [HubTopics.notifyReceipts.name], client: client, logger: logger, since: remembered) { record in
            guard let value = record.value, let receipt = try? RecordJSON.decode(NotificationReceipt.self, from: value) else { return }
            processor.remember(receipt)
        }
        let counts = processor.counts
        metrics.set("hub_notify_remembered", Double(counts.made), help: FanOutProcessor.rememberedHelp)
        logger.info("tables loaded", ["profiles": String(counts.profiles), "templates": String(counts.templates), "made": String(counts.made)])

        let requests = HandlerStage(
            routing: FailureRouting(service: name, ladder: .none, hubVersion: hubVersion), client: client, instance: instance,
            groupID: groupID, subscription: .topics([HubTopics.notifyRequests.name]), crashes: crashes, metrics: metrics,
            readiness: readiness, logger: logger) { record, _ in try processor.handleRequest(record) }
        let fallbacks = HandlerStage(
            routing: FailureRouting(service: "notify-fallback", ladder: .none, hubVersion: hubVersion), client: client, instance: instance,
            groupID: "\(groupID)-fallback", subscription: .topics([HubTopics.notifyReceipts.name]), crashes: crashes, metrics: metrics,
            logger: logger) { record, _ in try processor.handleReceipt(record) }
        try await ServiceGroup(services: [requests, fallbacks], logger: logger, signals: [], lifecycleLevel: .debug).run(shutdown: shutdown)
    }
}
