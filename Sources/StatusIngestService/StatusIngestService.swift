import Foundation
import HubLogging
import HubRuntime
import Kafka
import StatusIngest
import Topics

/// Status ingestion's Kafka shell: reads every `status.events.<AGENCY>`
/// topic by pattern and, in one transaction with the input offsets, writes
/// what the core decides. Before its first record it loads the catalogue
/// and the cases' current states from their compacted topics, and it keeps
/// following the catalogue so quarantined events can be placed on replay.
public final class StatusIngestService: HubService {
    public let name = "status-ingest"
    private let client: KafkaClientProperties
    private let instance: String
    private let metrics: MetricsRegistry
    private let readiness: Readiness?
    private let logger: Logger
    private let maxEventBytes: Int
    private let hubVersion: String
    private let groupID: String
    private let pseudonymSecret: String
    private let crashes: CrashJournal.Settings?
    private let agencies: [String]

    /// `groupID` is shared by every instance of the service; `instance` is unique per instance.
    /// `agencies` limits it to those agencies' topics (empty: every `status.events.<AGENCY>`).
    public init(client: KafkaClientProperties, instance: String, groupID: String = "hub-status-ingest", metrics: MetricsRegistry,
                readiness: Readiness?, logger: Logger, maxEventBytes: Int = 65_536, hubVersion: String,
                pseudonymSecret: String, crashes: CrashJournal.Settings?, agencies: [String] = []) {
        self.crashes = crashes
        self.agencies = agencies
        self.groupID = groupID
        self.pseudonymSecret = pseudonymSecret
        self.client = client
        self.instance = instance
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger.named("status-ingest")
        self.maxEventBytes = maxEventBytes
        self.hubVersion = hubVersion
    }

    public func run(shutdown: ShutdownSignal) async throws {
        let processor = IngestProcessor(core: try StatusIngestCore(catalogue: ServiceCatalogue()), maxEventBytes: maxEventBytes,
                                        metrics: metrics, hubVersion: hubVersion, pseudonymSecret: pseudonymSecret)
        let client = self.client, logger = self.logger
        metrics.addCollector { [weak processor] registry in
            guard let counts = processor?.caseCounts else { return }
            let help = "Cases held by status-ingest: open in memory, closed in the archive."
            registry.set("hub_status_cases", Double(counts.open), labels: ["state": "open"], help: help)
            registry.set("hub_status_cases", Double(counts.closed), labels: ["state": "closed"], help: help)
        }
        // Catalogue changes published while the service runs; from the start (the catalogue is small, an
        // upsert idempotent), so no change made after the table load below can slip by.
        let catalogue = CompactedTable(topic: HubTopics.catalogueServices.name, client: client, logger: logger) { _, value in
            guard let value, let definition = try? JSONDecoder().decode(ServiceDefinition.self, from: Data(value)) else { return }
            processor.upsertService(definition)
        }
        let stopFollowing = ShutdownSignal()
        let follower = Task {
            do { try await catalogue.follow(until: stopFollowing) } catch {
                logger.warning("cannot follow the catalogue; changes apply after a restart", ["error": String(describing: error)])
            }
        }
        defer {
            stopFollowing.trigger()
            follower.cancel()
        }
        let stage = TransactionalStage(
            name: name, client: client, groupID: groupID, transactionalID: "\(instance)-status-ingest",
            subscription: .pattern(HubTopics.statusEvents.subscriptionPattern(agencies: agencies)), metrics: metrics, readiness: readiness,
            logger: logger,
            configureConsumer: { $0.client["topic.metadata.refresh.interval.ms"] = "5000" },
            crashGuard: crashes.map { settings in CrashGuard(settings: settings) { record, crashes in [processor.poison(record, crashes: crashes)] } },
            prepare: {
                // Tables are read after fencing, so a crashed instance's open transaction cannot hide their end.
                let catalogue = try await Self.loadCatalogue(client: client, logger: logger)
                let states = try await TopicSnapshot.latestByKey(topic: HubTopics.statusCurrent.name, client: client, logger: logger)
                    .values.compactMap { try? RecordJSON.decode(CaseState.self, from: Data($0)) }
                for definition in catalogue.services.values { processor.upsertService(definition) }
                try processor.restore(states)
                let counts = processor.caseCounts
                logger.info("loaded", ["services": String(catalogue.services.count), "open_cases": String(counts.open),
                                       "closed_cases": String(counts.closed)])
            }
        ) { record in try processor.process(record) }
        try await stage.run(shutdown: shutdown)
    }

    static func loadCatalogue(client: KafkaClientProperties, logger: Logger) async throws -> ServiceCatalogue {
        let values = try await TopicSnapshot.latestByKey(topic: HubTopics.catalogueServices.name, client: client, logger: logger)
        return ServiceCatalogue(values.values.compactMap { try? JSONDecoder().decode(ServiceDefinition.self, from: Data($0)) })
    }
}
