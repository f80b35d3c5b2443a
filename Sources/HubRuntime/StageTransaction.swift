import HubLogging
import Kafka

/// One stage transaction: the outputs and the consumed records' next
/// offsets commit together, or neither does and the stage throws, leaving
/// the records to be read again. Shared by every transactional stage.
struct StageTransaction {
    let stage: String
    let metrics: MetricsRegistry
    let logger: Logger

    /// Runs a stage's loop: fetching stops as soon as shutdown is asked (the
    /// batch in hand still completes), and both clients close however it ends.
    static func drive(consumer: KafkaConsumer, producer: KafkaProducer, shutdown: ShutdownSignal,
                      _ loop: () async throws -> Void) async throws {
        let watcher = Task { await shutdown.wait(); consumer.stopFetching() }
        defer { watcher.cancel() }
        do {
            try await loop()
        } catch {
            await consumer.close()
            await producer.close(flushTimeoutMilliseconds: 5_000)
            throw error
        }
        await consumer.close()
        await producer.close()
    }

    func commit(outputs: [KafkaProducerRecord], consumed: [KafkaConsumerRecord], consumer: KafkaConsumer, producer: KafkaProducer) async throws {
        try producer.beginTransaction()
        do {
            // No report per output: the commit flushes them and fails if any failed, and the offsets need not wait for them.
            try await producer.sendInTransaction(outputs)
            var next: [KafkaTopicPartition: Int64] = [:]
            for record in consumed { next[record.topicPartition] = max(next[record.topicPartition] ?? 0, record.offset + 1) }
            try await producer.sendOffsetsToTransaction(
                next.map { KafkaTopicPartitionOffset(topicPartition: $0.key, offset: $0.value) }, consumer: consumer)
            try await producer.commitTransaction()
            try? consumer.store(consumed)
            metrics.increment("hub_records_in_total", by: Double(consumed.count), labels: ["stage": stage], help: "Records consumed and committed.")
            metrics.increment("hub_records_out_total", by: Double(outputs.count), labels: ["stage": stage], help: "Records produced in committed transactions.")
            metrics.increment("hub_transactions_total", labels: ["stage": stage, "outcome": "committed"], help: "Kafka transactions by outcome.")
        } catch {
            metrics.increment("hub_transactions_total", labels: ["stage": stage, "outcome": "aborted"], help: "Kafka transactions by outcome.")
            logger.error("transaction failed; aborting", ["error": String(describing: error)])
            try? await producer.abortTransaction()
            // The consumed positions were not committed: the next member (or
            // this process, restarted) reads the records again.
            throw error
        }
    }
}
