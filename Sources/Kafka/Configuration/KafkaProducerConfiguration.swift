/// How a producer behaves. Safe defaults: idempotence on (no duplicates or
/// reordering from retries), `acks=all`, and delivery reports for every record.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    /// Shared client settings; anything here overrides the fields below.
    public var client: KafkaClientProperties
    public var enableIdempotence = true
    /// How long records may wait to fill a batch (`linger.ms`).
    public var lingerMilliseconds = 5
    /// Upper bound on one batch in bytes (`batch.size`).
    public var batchSizeBytes = 1_000_000
    /// `none`, `gzip`, `snappy`, `lz4` or `zstd`.
    public var compression = "none"
    /// Overall time a record may take, retries included, before it fails (`delivery.timeout.ms`).
    public var deliveryTimeoutMilliseconds = 120_000
    /// Setting it makes the producer transactional (exactly-once stages).
    public var transactionalID: String?
    public var transactionTimeoutMilliseconds = 60_000
    /// Local queue bound (`queue.buffering.max.messages`); a full queue makes `send` wait.
    public var maxQueuedMessages = 100_000

    public init(client: KafkaClientProperties) {
        self.client = client
    }

    /// The librdkafka properties this configuration stands for.
    public var properties: [String: String] {
        var p: [String: String] = [
            "enable.idempotence": enableIdempotence ? "true" : "false",
            "linger.ms": String(lingerMilliseconds),
            "batch.size": String(batchSizeBytes),
            "compression.codec": compression,
            "delivery.timeout.ms": String(deliveryTimeoutMilliseconds),
            "queue.buffering.max.messages": String(maxQueuedMessages),
        ]
        if enableIdempotence { p["acks"] = "all" }
        if let transactionalID {
            p["transactional.id"] = transactionalID
            p["transaction.timeout.ms"] = String(transactionTimeoutMilliseconds)
            // librdkafka requires a record's time-out within the transaction's.
            p["delivery.timeout.ms"] = String(min(deliveryTimeoutMilliseconds, transactionTimeoutMilliseconds))
        }
        return p.merging(client.values) { _, given in given }
    }
}
