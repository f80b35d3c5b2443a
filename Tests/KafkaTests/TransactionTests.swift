import Foundation
import Kafka
import Testing

@Suite("Transactions against the real broker")
struct TransactionTests {
    @Test("a committed transaction's records and its input offsets appear together")
    func commitTogether() async throws {
        let input = TestKafka.uniqueTopic("txn-in"), output = TestKafka.uniqueTopic("txn-out")
        try await TestKafka.createTopic(input, partitions: 1)
        try await TestKafka.createTopic(output, partitions: 1)
        let loader = try TestKafka.producer()
        _ = try await loader.sendAll((0..<50).map { KafkaProducerRecord(topic: input, key: "k", value: "\($0)") })
        await loader.close()

        let group = "g-\(input)"
        let consumer = try TestKafka.consumer(group: group, topics: [input]) { $0.enableAutoCommit = false }
        let producer = try TestKafka.producer(transactionalID: "t-\(input)")
        try await producer.initTransactions()
        let batch = await collect(consumer, count: 50, store: false)
        #expect(batch.count == 50)
        try producer.beginTransaction()
        _ = try await producer.sendAll(batch.map { KafkaProducerRecord(topic: output, key: $0.key, value: $0.value) })
        try await producer.sendOffsetsToTransaction([batch.last!.nextOffset], consumer: consumer)

        // Open: outputs invisible to read_committed, offsets not committed.
        let reader = try TestKafka.consumer(group: "r-\(output)", topics: [output])
        let beforeCommit = await collect(reader, count: 1, timeout: .seconds(4))
        #expect(beforeCommit.isEmpty, "an open transaction's records are invisible to read_committed")
        let committedBefore = try await consumer.committed([KafkaTopicPartition(topic: input, partition: 0)])
        #expect(committedBefore.first?.offset ?? -1 < 0)

        try await producer.commitTransaction()
        let afterCommit = await collect(reader, count: 50)
        #expect(afterCommit.map(\.valueString) == batch.map(\.valueString))
        let committedAfter = try await consumer.committed([KafkaTopicPartition(topic: input, partition: 0)])
        #expect(committedAfter.first?.offset == 50)
        await reader.close()
        await consumer.close()
        await producer.close()
    }

    /// Apache Kafka hides an aborted transaction from read_committed readers;
    /// Tansu 0.6 does not (no abort markers). Either way, readers that
    /// de-duplicate by event id see each event once after the retry commits.
    @Test("an aborted copy is harmless to a reader that de-duplicates by event id")
    func abortedCopyDeduplicated() async throws {
        let output = TestKafka.uniqueTopic("txn-abort")
        try await TestKafka.createTopic(output, partitions: 1)
        let producer = try TestKafka.producer(transactionalID: "t-\(output)")
        try await producer.initTransactions()
        let records = (0..<20).map { index in
            KafkaProducerRecord(topic: output, key: "k", value: "\(index)",
                                headers: [KafkaHeader(key: "hub-event-id", string: "event-\(index)")])
        }
        try producer.beginTransaction()
        _ = try await producer.sendAll(records)
        try await producer.abortTransaction()
        try producer.beginTransaction()
        _ = try await producer.sendAll(records)
        try await producer.commitTransaction()
        await producer.close()

        let plain = try TestKafka.consumer(group: "plain-\(output)", topics: [output])
        let seenPlain = await collect(plain, count: 40, timeout: .seconds(6))
        await plain.close()
        // 20 where the broker hides aborts (Apache Kafka), 40 on Tansu 0.6.
        #expect(seenPlain.count == 20 || seenPlain.count == 40)

        let deduplicating = try TestKafka.consumer(group: "dedup-\(output)", topics: [output]) {
            $0.deduplication = RecordDeduplication(header: "hub-event-id", window: 1_000)
        }
        let seen = await collect(deduplicating, count: 40, timeout: .seconds(6))
        #expect(seen.map(\.valueString) == (0..<20).map { "\($0)" })
        #expect(deduplicating.duplicatesSkipped == seenPlain.count - 20)
        await deduplicating.close()
    }

    @Test("records sent in a transaction without reports arrive in order once it commits; a refused record fails the call")
    func sendInTransactionCommitFlushes() async throws {
        let output = TestKafka.uniqueTopic("txn-noreport")
        try await TestKafka.createTopic(output, partitions: 1)
        let producer = try TestKafka.producer(transactionalID: "t-\(output)")
        try await producer.initTransactions()
        try producer.beginTransaction()
        try await producer.sendInTransaction((0..<300).map { KafkaProducerRecord(topic: output, key: "k", value: "\($0)") })
        // Nothing waited for the records: the commit flushes them.
        try await producer.commitTransaction()
        #expect(producer.outstandingCount == 0)
        let reader = try TestKafka.consumer(group: "r-\(output)", topics: [output])
        let seen = await collect(reader, count: 300)
        #expect(seen.map(\.valueString) == (0..<300).map { "\($0)" })
        await reader.close()

        // A record librdkafka refuses outright (larger than message.max.bytes) throws at once; the transaction aborts.
        try producer.beginTransaction()
        await #expect(throws: KafkaError.self) {
            try await producer.sendInTransaction([KafkaProducerRecord(topic: output, key: "k", value: String(repeating: "x", count: 2_000_000))])
        }
        try await producer.abortTransaction()
        await producer.close()

        let plain = try TestKafka.producer()
        await #expect(throws: KafkaError.self) { try await plain.sendInTransaction([KafkaProducerRecord(topic: output, key: "k", value: "x")]) }
        await plain.close()
    }
}
