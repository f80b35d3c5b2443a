/// How a consumer-group member behaves. Offsets are stored only after the
/// application says a record is processed (`store`), and committed from
/// those stored offsets, so a crash re-reads rather than skips.
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    public var client: KafkaClientProperties
    public var groupID: String
    /// Commit stored offsets periodically; turn off for transactional stages,
    /// where offsets are committed through the producer.
    public var enableAutoCommit = true
    public var autoCommitIntervalMilliseconds = 1_000
    /// Only see committed transactional records (`isolation.level=read_committed`).
    public var readCommitted = true
    /// Where a group with no committed offset starts.
    public var startFromEarliest = true
    public var sessionTimeoutMilliseconds = 10_000
    /// How long the broker may hold a fetch while it has no new data
    /// (`fetch.wait.max.ms`). librdkafka's 500 adds up to half a second to
    /// every hop of a quiet pipeline; 100 keeps hops short for a few idle
    /// fetches a second.
    public var maxFetchWaitMilliseconds = 100
    /// Records held between librdkafka and the application. Above it the
    /// consumer stops taking records from librdkafka (whose own prefetch
    /// queue, `maxPrefetchKilobytes`, then fills and stops fetching).
    public var bufferCapacity = 10_000
    /// How long the buffer may stay full before the consumer pauses its
    /// partitions and goes on polling, so rebalances are served while a
    /// slow application catches up. Pausing discards librdkafka's prefetched
    /// records (fetched again on resume), so it is the second resort.
    public var backPressurePauseAfterMilliseconds = 3_000
    /// librdkafka's prefetch queue limit (`queued.max.messages.kbytes`); its
    /// default of 64 MiB per consumer is more than a hub stage needs.
    public var maxPrefetchKilobytes = 16_384
    /// How long librdkafka waits before fetching a partition again once its
    /// prefetch queue passed `maxPrefetchKilobytes` or `queued.min.messages`
    /// (`fetch.queue.backoff.ms`). Its default of 1,000 ms idles a consumer
    /// working through a backlog: one large fetch fills the queue, the
    /// application drains it in a fraction of a second, then waits for the
    /// rest of the second (librdkafka issue 2879). At 5 ms a backlog streams
    /// (a consumer alone on the local broker: 190,000 -> 410,000 records/s).
    public var fetchQueueBackoffMilliseconds = 5
    /// How long a revocation waits for records already handed to the
    /// application to be stored before giving the partitions up.
    public var revokeGraceMilliseconds = 10_000
    /// Skip records whose header carries an id already seen (see `RecordDeduplicator`).
    public var deduplication: RecordDeduplication?

    public init(client: KafkaClientProperties, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    /// The librdkafka properties this configuration stands for.
    public var properties: [String: String] {
        let p: [String: String] = [
            "group.id": groupID,
            "enable.auto.commit": enableAutoCommit ? "true" : "false",
            "auto.commit.interval.ms": String(autoCommitIntervalMilliseconds),
            "enable.auto.offset.store": "false",
            "isolation.level": readCommitted ? "read_committed" : "read_uncommitted",
            "auto.offset.reset": startFromEarliest ? "earliest" : "latest",
            "session.timeout.ms": String(sessionTimeoutMilliseconds),
            "fetch.wait.max.ms": String(maxFetchWaitMilliseconds),
            "enable.partition.eof": "false",
            "queued.max.messages.kbytes": String(maxPrefetchKilobytes),
            "fetch.queue.backoff.ms": String(fetchQueueBackoffMilliseconds),
        ]
        return p.merging(client.values) { _, given in given }
    }
}

/// De-duplication of records by an id header, for brokers (or crashes) that
/// can deliver a record twice. A bounded window of recent ids is kept.
public struct RecordDeduplication: Sendable, Hashable {
    public var header: String
    public var window: Int

    public init(header: String, window: Int = 100_000) {
        self.header = header
        self.window = window
    }
}
