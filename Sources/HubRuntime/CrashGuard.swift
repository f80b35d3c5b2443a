import HubLogging
import Kafka

/// A stage's poison-record detection: where its `CrashJournal` lives, and
/// what a record that crashed the stage repeatedly becomes instead of being
/// handled again (its dead letter).
public struct CrashGuard: Sendable {
    public typealias Poison = @Sendable (KafkaConsumerRecord, _ crashes: Int) -> [KafkaProducerRecord]

    public let settings: CrashJournal.Settings
    public let poison: Poison

    public init(settings: CrashJournal.Settings, poison: @escaping Poison) {
        self.settings = settings
        self.poison = poison
    }

    /// The stage's journal, saying so when the last run died with records in hand.
    func openJournal(name: String, logger: Logger) throws -> CrashJournal {
        let journal = try CrashJournal(settings: settings, name: name)
        if let evidence = journal.evidence {
            logger.warning("the last run stopped with records in hand; handling them one by one",
                           ["crashes": String(evidence.crashes), "ranges": String(evidence.ranges.count)])
        }
        return journal
    }

    func handle(_ batch: [KafkaConsumerRecord], journal: CrashJournal, stage: String, metrics: MetricsRegistry, logger: Logger,
                all: (([KafkaConsumerRecord]) async throws -> [KafkaProducerRecord])? = nil,
                _ transform: (KafkaConsumerRecord) async throws -> [KafkaProducerRecord]) async throws -> [KafkaProducerRecord] {
        try await journal.handle(batch, poison: { record, crashes in
            metrics.increment("hub_poison_records_total", labels: ["stage": stage], help: "Records dead-lettered after crashing a stage repeatedly.")
            logger.error("poison record dead-lettered", ["topic": record.topic, "partition": String(record.partition),
                                                         "offset": String(record.offset), "crashes": String(crashes)])
            return poison(record, crashes)
        }, all: all, transform)
    }
}
