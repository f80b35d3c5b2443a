import CRdKafka
import Foundation
import HubLogging

/// A consumer-group member. A dedicated thread polls librdkafka and fills a
/// bounded buffer; the application takes records with `next()` (or iterates
/// `records`) from one task, processes them, and calls `store` so their
/// offsets may be committed. Above the buffer's capacity the consumer pauses
/// its partitions but keeps polling, so the group never evicts a slow member.
public final class KafkaConsumer: Sendable {
    let client: RDKafkaClient
    private let core: ConsumerCore
    private let pollLoop: PollLoop
    private let logger: Logger
    public let configuration: KafkaConsumerConfiguration

    /// A consumer assigned every partition of `topics` at its end as it is now, outside any group (no
    /// rebalancing to wait for): it reads what is written after it returns, and none of what came before.
    public static func fromEnds(of topics: [String], configuration: KafkaConsumerConfiguration, logger: Logger) async throws(KafkaError) -> KafkaConsumer {
        let admin = try KafkaAdmin(client: configuration.client, logger: logger)
        let partitions = try await admin.partitions(of: topics)
        await admin.close()
        let probe = try KafkaConsumer(configuration: configuration, subscription: .partitionsFromStart([]), logger: logger)
        let ends = try await probe.watermarks(partitions).mapValues(\.high)
        await probe.close()
        return try KafkaConsumer(configuration: configuration, subscription: .partitionsAt(ends), logger: logger)
    }

    public init(configuration: KafkaConsumerConfiguration, subscription: KafkaSubscription, logger: Logger,
                onRebalance: (@Sendable (KafkaRebalanceEvent) -> Void)? = nil) throws(KafkaError) {
        let logger = logger.named("kafka.consumer").with(["group": configuration.groupID])
        let core = ConsumerCore(configuration: configuration, logger: logger, onRebalance: onRebalance)
        let callbacks = RDKafkaCallbacks(logger: logger) { handle, err, partitions in
            core.rebalance(handle, err, partitions)
        }
        let client = try RDKafkaClient(role: .consumer, properties: configuration.properties, callbacks: callbacks)
        rd_kafka_poll_set_consumer(client.handle)
        core.handle = client.handle
        let err: rd_kafka_resp_err_t
        if case .partitionsFromStart(let partitions) = subscription {
            err = core.assign(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_BEGINNING)) })
        } else if case .partitionsAt(let offsets) = subscription {
            err = core.assign(offsets.map { ($0.key, $0.value) })
        } else {
            let list = RDKafkaTopicPartitionList(capacity: subscription.names.count)
            for name in subscription.names { list.add(KafkaTopicPartition(topic: name, partition: RD_KAFKA_PARTITION_UA), offset: Int64(RD_KAFKA_OFFSET_INVALID)) }
            err = rd_kafka_subscribe(client.handle, list.pointer)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            client.destroy()
            throw KafkaError(err, context: "subscribe")
        }
        self.client = client
        self.core = core
        self.logger = logger
        self.configuration = configuration
        self.pollLoop = PollLoop(name: "kafka-consumer-poll") { core.pollOnce() }
    }

    deinit {
        core.stopFetching()
        pollLoop.stop()
        client.destroy()
    }

    /// The next record, or nil once the consumer stops fetching. Call from one task at a time.
    public func next() async -> KafkaConsumerRecord? {
        await core.take(max: 1).first
    }

    /// Up to `max` records that are ready, waiting only for the first; empty once stopped.
    public func nextBatch(max: Int) async -> [KafkaConsumerRecord] {
        await core.take(max: max)
    }

    /// Up to `max` ready records, or an empty batch after `timeout` with none.
    public func nextBatch(max: Int, timeout: Duration) async -> [KafkaConsumerRecord] {
        await core.take(max: max, timeout: timeout)
    }

    /// The records as an async sequence that ends when the consumer stops fetching.
    public var records: KafkaConsumerRecords { KafkaConsumerRecords(consumer: self) }

    /// Marks a record processed: its offset may now be committed.
    public func store(_ record: KafkaConsumerRecord) throws(KafkaError) {
        let core = self.core
        try client.withLiveHandle { _ throws(KafkaError) in try core.store([record.nextOffset]) }
    }

    /// Marks records processed; for each partition the highest offset counts.
    public func store(_ records: [KafkaConsumerRecord]) throws(KafkaError) {
        var highest: [KafkaTopicPartition: Int64] = [:]
        for record in records { highest[record.topicPartition] = max(highest[record.topicPartition] ?? -1, record.offset) }
        let offsets = highest.map { KafkaTopicPartitionOffset(topicPartition: $0.key, offset: $0.value + 1) }
        let core = self.core
        try client.withLiveHandle { _ throws(KafkaError) in try core.store(offsets) }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commit() async throws(KafkaError) {
        let client = self.client
        try await BlockingCall.run { () throws(KafkaError) in
            let err = rd_kafka_commit(client.handle, nil, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError(err, context: "commit")
            }
        }
    }

    /// The group's committed positions for `partitions`, as the broker has them.
    public func committed(_ partitions: [KafkaTopicPartition], timeoutMilliseconds: Int32 = 10_000) async throws(KafkaError) -> [KafkaTopicPartitionOffset] {
        let client = self.client
        return try await BlockingCall.run { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList(partitions)
            let err = rd_kafka_committed(client.handle, list.pointer, timeoutMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "committed") }
            return list.entries
        }
    }

    /// The first and the next offset of each partition, asked of the broker.
    public func watermarks(_ partitions: [KafkaTopicPartition], timeoutMilliseconds: Int32 = 10_000) async throws(KafkaError) -> [KafkaTopicPartition: (low: Int64, high: Int64)] {
        let client = self.client
        return try await BlockingCall.run { () throws(KafkaError) in
            var result: [KafkaTopicPartition: (low: Int64, high: Int64)] = [:]
            for partition in partitions {
                var low: Int64 = 0, high: Int64 = 0
                let err = rd_kafka_query_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "watermarks of \(partition)") }
                result[partition] = (low, high)
            }
            return result
        }
    }

    /// Stops fetching from `partitions` until `resume`; for back-pressure
    /// decided by the application (a slow gateway), beside the automatic one.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let core = self.core
        try client.withLiveHandle { _ throws(KafkaError) in try core.setPaused(partitions, paused: true) }
    }

    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let core = self.core
        try client.withLiveHandle { _ throws(KafkaError) in try core.setPaused(partitions, paused: false) }
    }

    /// The partitions this member owns now.
    public var assignment: [KafkaTopicPartition] { core.currentAssignment }

    /// Records behind the end of each owned partition, from librdkafka's
    /// cached high watermarks (no broker round trip).
    /// The next offset to read per assigned partition; a partition not fetched from yet is absent.
    public func positions() -> [KafkaTopicPartition: Int64] {
        let core = self.core
        return (try? client.withLiveHandle { _ in core.positions() }) ?? [:]
    }

    public func lag() -> [KafkaTopicPartition: Int64] {
        let core = self.core
        return (try? client.withLiveHandle { _ in core.lag() }) ?? [:]
    }

    /// Records skipped as duplicates by the de-duplication window.
    public var duplicatesSkipped: Int { core.duplicatesSkipped }

    /// Ends `next()` and the record sequence; records not yet handed out are
    /// left uncommitted, so the next owner reads them. Fetching cannot restart.
    public func stopFetching() {
        core.stopFetching()
    }

    /// Stops fetching, leaves the group (committing stored offsets when
    /// auto-commit is on) and frees the handle. Safe to call twice.
    public func close() async {
        core.stopFetching()
        let client = self.client, pollLoop = self.pollLoop, logger = self.logger, configuration = self.configuration
        await BlockingCall.runUnthrowing {
            pollLoop.stop()
            guard !client.isDestroyed else { return }
            if configuration.enableAutoCommit {
                let err = rd_kafka_commit(client.handle, nil, 0)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("final commit failed", ["error": KafkaError(err).description])
                }
            }
            let err = rd_kafka_consumer_close(client.handle)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("leaving the group failed", ["error": KafkaError(err).description])
            }
            client.destroy()
        }
    }
}

/// `for await record in consumer.records { ... }`
public struct KafkaConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerRecord
    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        public mutating func next() async -> KafkaConsumerRecord? { await consumer.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}
