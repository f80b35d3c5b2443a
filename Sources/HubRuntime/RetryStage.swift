import DeadLetters
import Foundation
import HubLogging
import Kafka
import Locking
import Topics

/// Brings a service's retriable failures back when they are due. Reads the
/// shared retry topics (`hub.retry.10s`, `1m`, `10m`) in a group of its own
/// (the service's group id with `-retry`),
/// takes the records its service put there, holds each until its
/// `hub.retry.due` time (pausing only that partition, so nothing else waits
/// behind it), and hands it to the service's handler as it was first read:
/// original topic, partition, offset and headers. A record that fails again
/// climbs the ladder through `FailureRouting`; outputs and offsets commit in
/// one transaction, as in every stage.
public final class RetryStage: HubService {
    public typealias Handler = HandlerStage.Handler

    public let name: String
    private let routing: FailureRouting
    private let client: KafkaClientProperties
    private let transactionalID: String
    private let groupID: String
    private let crashGuard: CrashGuard?
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let handler: Handler
    private let exhausted: HandlerStage.Exhausted?
    private let beforeCommit: TransactionalStage.Preparation?
    private let batchSize = 200

    /// `groupID` is the retry stage's own group, shared by the service's instances (the input group's id with `-retry`).
    public init(routing: FailureRouting, client: KafkaClientProperties, instance: String, groupID: String, crashGuard: CrashGuard?,
                metrics: MetricsRegistry, logger: Logger, exhausted: HandlerStage.Exhausted? = nil,
                beforeCommit: TransactionalStage.Preparation? = nil, handler: @escaping Handler) {
        self.exhausted = exhausted
        self.beforeCommit = beforeCommit
        self.name = "\(routing.service)-retry"
        self.routing = routing
        self.client = client
        self.transactionalID = "\(instance)-\(routing.service)-retry"
        self.groupID = groupID
        self.crashGuard = crashGuard
        self.metrics = metrics
        self.logger = logger.named(name)
        self.handler = handler
    }

    /// The record as the service first read it: original coordinates, no failure headers.
    public static func original(of record: KafkaConsumerRecord) -> KafkaConsumerRecord {
        let headers = record.headers
        return KafkaConsumerRecord(
            topic: headers.string(FailureHeaderName.topic) ?? record.topic,
            partition: headers.string(FailureHeaderName.partition).flatMap { Int32($0) } ?? record.partition,
            offset: headers.string(FailureHeaderName.offset).flatMap { Int64($0) } ?? record.offset,
            key: record.key, value: record.value,
            headers: headers.filter { !FailureHeaderName.isFailureHeader($0.key) },
            timestampMilliseconds: headers.string(FailureHeaderName.timestamp).flatMap { Int64($0) } ?? record.timestampMilliseconds)
    }

    /// The schedule and the partitions held back, shared with the rebalance callback.
    private final class Held: Sendable {
        struct State {
            var schedule = RetrySchedule()
            var paused: Set<KafkaTopicPartition> = []
        }
        let state = PosixMutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    public func run(shutdown: ShutdownSignal) async throws {
        let journal = try crashGuard?.openJournal(name: transactionalID, logger: logger)
        var producerConfiguration = KafkaProducerConfiguration(client: client)
        producerConfiguration.transactionalID = transactionalID
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        do { try await producer.initTransactions() } catch {
            await producer.close(flushTimeoutMilliseconds: 5_000)
            throw error
        }
        var configuration = KafkaConsumerConfiguration(client: client, groupID: groupID)
        configuration.enableAutoCommit = false
        configuration.readCommitted = true
        // Held records are never stored before they are due: a revocation need not wait for them.
        configuration.revokeGraceMilliseconds = 0
        let held = Held()
        let consumer = try KafkaConsumer(configuration: configuration, subscription: .topics(RetryLadder.topics), logger: logger) { event in
            switch event {
            case .revoked(let partitions), .lost(let partitions):
                held.withLock { held in
                    held.schedule.drop(partitions)
                    held.paused.subtract(partitions)
                }
            case .assigned: break
            }
        }
        try await StageTransaction.drive(consumer: consumer, producer: producer, shutdown: shutdown) {
            try await loop(consumer: consumer, producer: producer, held: held, journal: journal, shutdown: shutdown)
        }
    }

    private func loop(consumer: KafkaConsumer, producer: KafkaProducer, held: Held, journal: CrashJournal?,
                      shutdown: ShutdownSignal) async throws {
        let transaction = StageTransaction(stage: name, metrics: metrics, logger: logger)
        while !shutdown.isTriggered {
            let now = Self.nowMilliseconds()
            let nextDue = held.withLock { $0.schedule.nextDueMilliseconds }
            let wait = max(1, min(200, (nextDue ?? Int64.max) - now))
            let batch = await consumer.nextBatch(max: batchSize, timeout: .milliseconds(wait))
            let (due, pause, resume) = held.withLock { held in
                for record in batch { held.schedule.add(record) }
                let due = held.schedule.takeDue(nowMilliseconds: Self.nowMilliseconds(), max: batchSize)
                let holding = held.schedule.holding
                let pause = holding.subtracting(held.paused), resume = held.paused.subtracting(holding)
                held.paused = holding
                return (due, Array(pause), Array(resume))
            }
            if !pause.isEmpty { try? consumer.pause(pause) }
            if !resume.isEmpty { try? consumer.resume(resume) }
            guard !due.isEmpty else { continue }
            let outputs: [KafkaProducerRecord]
            if let journal, let crashGuard {
                outputs = try await crashGuard.handle(due, journal: journal, stage: name, metrics: metrics, logger: logger, retry)
            } else {
                var collected: [KafkaProducerRecord] = []
                for record in due { collected += try await retry(record) }
                outputs = collected
            }
            try await beforeCommit?()
            try await transaction.commit(outputs: outputs, consumed: due, consumer: consumer, producer: producer)
        }
    }

    /// Hands a due record of this service to the handler; routes it on when it fails again.
    private func retry(_ record: KafkaConsumerRecord) async throws -> [KafkaProducerRecord] {
        guard record.headers.string(FailureHeaderName.service) == routing.service else { return [] }
        let attempt = (record.headers.string(FailureHeaderName.attempts).flatMap { Int($0) } ?? 0) + 1
        let labels = ["service": routing.service]
        if let due = record.headers.string(FailureHeaderName.retryDue).flatMap({ Int64($0) }) {
            metrics.set("hub_retry_lateness_seconds", Double(max(0, Self.nowMilliseconds() - due)) / 1000, labels: labels,
                        help: "How long after its due time the latest retry ran.")
        }
        let original = Self.original(of: record)
        do {
            let outputs = try await handler(original, attempt)
            metrics.increment("hub_retries_total", labels: labels.merging(["outcome": "succeeded"]) { $1 }, help: "Retries by outcome.")
            return outputs
        } catch let failure as RecordFailure {
            let routed = routing.route(record, failure: failure)
            let deadLettered = routed.topic == HubTopics.hubDeadLetter.name
            metrics.increment("hub_retries_total", labels: labels.merging(["outcome": deadLettered ? "deadlettered" : "failed_again"]) { $1 },
                              help: "Retries by outcome.")
            return [routed] + (deadLettered ? exhausted?(original, failure) ?? [] : [])
        }
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
