import Foundation
import HubLogging
import Kafka
import Locking

/// A consume -> transform -> produce stage whose outputs and input offsets
/// commit in one Kafka transaction: a crash neither loses nor doubles an
/// output (on Apache Kafka; on Tansu aborted outputs stay visible, so
/// readers de-duplicate by event id). Every service's Kafka shell is one.
public final class TransactionalStage: HubService {
    public typealias Transform = @Sendable (KafkaConsumerRecord) async throws -> [KafkaProducerRecord]
    /// `prepare`: runs once the producer has fenced earlier instances, before the first record. `beforeCommit`: runs
    /// before each transaction, and a failure stops the stage.
    public typealias Preparation = @Sendable () async throws -> Void

    public let name: String
    private let consumerConfiguration: KafkaConsumerConfiguration
    private let producerConfiguration: KafkaProducerConfiguration
    private let subscription: KafkaSubscription
    private let transform: Transform
    private let metrics: MetricsRegistry
    private let readiness: Readiness?
    private let logger: Logger
    private let batchSize: Int
    private let prepare: Preparation?
    private let beforeCommit: Preparation?
    private let crashGuard: CrashGuard?
    private let transactionalID: String
    private let parallelism: Int

    /// `transactionalID` must be stable per stage instance, so a restarted
    /// instance fences its predecessor's open transaction.
    public init(name: String, client: KafkaClientProperties, groupID: String, transactionalID: String,
                subscription: KafkaSubscription, batchSize: Int = 500, parallelism: Int = 1, metrics: MetricsRegistry,
                readiness: Readiness? = nil, logger: Logger,
                configureConsumer: (inout KafkaConsumerConfiguration) -> Void = { _ in },
                crashGuard: CrashGuard? = nil, prepare: Preparation? = nil, beforeCommit: Preparation? = nil, transform: @escaping Transform) {
        self.prepare = prepare
        self.beforeCommit = beforeCommit
        self.crashGuard = crashGuard
        self.transactionalID = transactionalID
        self.parallelism = parallelism
        self.name = name
        var consumer = KafkaConsumerConfiguration(client: client, groupID: groupID)
        consumer.enableAutoCommit = false
        consumer.readCommitted = true
        configureConsumer(&consumer)
        self.consumerConfiguration = consumer
        var producer = KafkaProducerConfiguration(client: client)
        producer.transactionalID = transactionalID
        self.producerConfiguration = producer
        self.subscription = subscription
        self.transform = transform
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger.named(name)
        self.batchSize = batchSize
        readiness?.register(name)
    }

    public func run(shutdown: ShutdownSignal) async throws {
        let journal = try crashGuard?.openJournal(name: transactionalID, logger: logger)
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        do {
            // Fencing aborts a crashed predecessor's open transaction. Until
            // then its partitions' stable offset is stuck, and a read_committed
            // reader (this stage's, or `prepare`'s table loads) cannot reach the end.
            try await producer.initTransactions()
            try await prepare?()
        } catch {
            await producer.close(flushTimeoutMilliseconds: 5_000)
            throw error
        }
        let readiness = self.readiness, name = self.name
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, subscription: subscription, logger: logger) { event in
            if case .assigned = event { readiness?.markReady(name) }
        }
        let metrics = self.metrics
        metrics.addCollector { [weak consumer] registry in
            guard let consumer else { return }
            for (partition, lag) in consumer.lag() {
                registry.set("hub_consumer_lag", Double(lag),
                             labels: ["stage": name, "topic": partition.topic, "partition": String(partition.partition)],
                             help: "Records between the stage's position and the end of the partition.")
            }
        }
        try await StageTransaction.drive(consumer: consumer, producer: producer, shutdown: shutdown) {
            try await pipeline(consumer: consumer, producer: producer, journal: journal, shutdown: shutdown)
        }
    }

    /// A batch with the outputs its records caused, ready to commit.
    private struct Prepared: Sendable {
        let batch: [KafkaConsumerRecord]
        let outputs: [KafkaProducerRecord]
    }

    /// Transforms what arrives while the previous transaction commits: the
    /// transform is CPU work (or a gateway call), the commit mostly waits for
    /// the broker. Batches transformed during a commit are joined and go in
    /// the next transaction as soon as that commit is done, so a record that
    /// arrives mid-commit is handled at once rather than after it. One
    /// transaction is open at a time and records commit in order; when a
    /// commit fails the stage throws, and what was transformed meanwhile is
    /// read again by whoever takes the partitions over.
    private func pipeline(consumer: KafkaConsumer, producer: KafkaProducer, journal: CrashJournal?, shutdown: ShutdownSignal) async throws {
        var committing: (task: Task<Void, any Error>, done: CommitDone)?
        var pending: Prepared?
        func startCommit() {
            guard let prepared = pending else { return }
            pending = nil
            let done = CommitDone()
            committing = (Task {
                defer { done.mark() }
                try await self.commit(prepared, consumer: consumer, producer: producer)
            }, done)
        }
        while !shutdown.isTriggered {
            // While a commit runs, look for new records often; otherwise wait for them.
            let busy = committing.map { !$0.done.isDone } ?? false
            let batch = await consumer.nextBatch(max: batchSize, timeout: .milliseconds(busy ? 2 : 100))
            if !batch.isEmpty {
                do {
                    let prepared = try await transformAll(batch, journal: journal)
                    pending = pending.map { Prepared(batch: $0.batch + prepared.batch, outputs: $0.outputs + prepared.outputs) } ?? prepared
                } catch {
                    _ = try? await committing?.task.value
                    throw error
                }
            }
            // The previous commit finished (or a large backlog waits for it): collect its outcome and start the next.
            if let running = committing, running.done.isDone || (pending?.batch.count ?? 0) >= batchSize * 4 {
                try await running.task.value
                committing = nil
            }
            if committing == nil { startCommit() }
        }
        if let running = committing { try await running.task.value }
        startCommit()
        if let running = committing { try await running.task.value }
    }

    /// `parallelism` above 1 handles different keys side by side (`KeyedParallel`); suspects after a crash go one by one.
    private func transformAll(_ batch: [KafkaConsumerRecord], journal: CrashJournal?) async throws -> Prepared {
        let transform = self.transform, width = parallelism
        let all: @Sendable ([KafkaConsumerRecord]) async throws -> [KafkaProducerRecord] = { records in
            try await KeyedParallel.map(records, width: width, transform)
        }
        if let journal, let crashGuard {
            var parallel: (([KafkaConsumerRecord]) async throws -> [KafkaProducerRecord])?
            if width > 1 { parallel = all }
            let outputs = try await crashGuard.handle(batch, journal: journal, stage: name, metrics: metrics, logger: logger,
                                                      all: parallel, transform)
            return Prepared(batch: batch, outputs: outputs)
        }
        return Prepared(batch: batch, outputs: try await all(batch))
    }

    private func commit(_ prepared: Prepared, consumer: KafkaConsumer, producer: KafkaProducer) async throws {
        try await beforeCommit?()
        try await StageTransaction(stage: name, metrics: metrics, logger: logger)
            .commit(outputs: prepared.outputs, consumed: prepared.batch, consumer: consumer, producer: producer)
    }
}

/// Whether a stage's commit task has finished, looked at without waiting for it.
private final class CommitDone: Sendable {
    private let state = PosixMutex(false)
    func mark() { state.withLock { $0 = true } }
    var isDone: Bool { state.withLock { $0 } }
}
