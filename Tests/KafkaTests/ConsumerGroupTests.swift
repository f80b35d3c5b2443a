import Foundation
import Kafka
import Testing

@Suite("Consumer groups against the real broker")
struct ConsumerGroupTests {
    /// Two members split the partitions; every record is processed exactly
    /// once across both. Then one leaves and the other takes over the rest.
    @Test("two members share the work, one leaves, the other takes over without loss")
    func rebalance() async throws {
        let topic = TestKafka.uniqueTopic("group")
        try await TestKafka.createTopic(topic, partitions: 4)
        let group = "g-\(topic)"
        let producer = try TestKafka.producer()
        _ = try await producer.sendAll((0..<2_000).map { KafkaProducerRecord(topic: topic, key: "k\($0 % 50)", value: "\($0)") })

        let events = Locked<[String]>([])
        let first = try TestKafka.consumer(group: group, topics: [topic], onRebalance: { event in events.withLock { $0.append("A \(event)") } })
        let second = try TestKafka.consumer(group: group, topics: [topic], onRebalance: { event in events.withLock { $0.append("B \(event)") } })

        let seenA = Locked<[Int]>([]), seenB = Locked<[Int]>([])
        let readerA = Task { await drain(first, into: seenA) }
        let readerB = Task { await drain(second, into: seenB) }

        // Wait until both own partitions and the first 2,000 are processed.
        try await waitUntil(timeout: .seconds(60)) {
            seenA.withLock { $0.count } + seenB.withLock { $0.count } >= 2_000
                && !first.assignment.isEmpty && !second.assignment.isEmpty
        }
        #expect(Set(first.assignment).isDisjoint(with: Set(second.assignment)))
        #expect(first.assignment.count + second.assignment.count == 4)

        // B leaves; A must take over B's partitions and read what comes next.
        second.stopFetching()
        _ = await readerB.value
        await second.close()
        try await waitUntil(timeout: .seconds(60)) { first.assignment.count == 4 }
        _ = try await producer.sendAll((2_000..<3_000).map { KafkaProducerRecord(topic: topic, key: "k\($0 % 50)", value: "\($0)") })
        await producer.close()
        try await waitUntil(timeout: .seconds(60)) { seenA.withLock { $0.count } + seenB.withLock { $0.count } >= 3_000 }
        first.stopFetching()
        _ = await readerA.value
        await first.close()

        let all = seenA.withLock { $0 } + seenB.withLock { $0 }
        #expect(all.count == 3_000, "every record processed exactly once across both members")
        #expect(Set(all) == Set(0..<3_000))
        let sharedWithB = seenB.withLock { $0 }
        #expect(!sharedWithB.isEmpty, "the second member did share the work")
        let log = events.withLock { $0 }
        #expect(log.contains { $0.hasPrefix("B revoked") }, "rebalance events: \(log)")
    }

    @Test("pause stops delivery from a partition, resume restarts it")
    func pauseResume() async throws {
        let topic = TestKafka.uniqueTopic("pause")
        try await TestKafka.createTopic(topic, partitions: 1)
        let producer = try TestKafka.producer()
        _ = try await producer.sendAll((0..<10).map { KafkaProducerRecord(topic: topic, key: "k", value: "\($0)") })
        let consumer = try TestKafka.consumer(group: "g-\(topic)", topics: [topic])
        let firstBatch = await collect(consumer, count: 10)
        #expect(firstBatch.count == 10)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        try consumer.pause([partition])
        _ = try await producer.sendAll((10..<20).map { KafkaProducerRecord(topic: topic, key: "k", value: "\($0)") })
        let whilePaused = await collect(consumer, count: 1, timeout: .seconds(3))
        #expect(whilePaused.isEmpty)
        try consumer.resume([partition])
        let afterResume = await collect(consumer, count: 10)
        #expect(afterResume.map { Int($0.valueString!)! } == Array(10..<20))
        await producer.close()
        await consumer.close()
    }

    /// 3,000 ms: the slow application's pauses stay within the hold, so only the
    /// poll thread waits; 0 ms: every full buffer pauses the partitions at once,
    /// which discards librdkafka's prefetched records and fetches them again.
    @Test("a small buffer holds back, then pauses, and loses nothing", arguments: [3_000, 0])
    func automaticBackPressure(pauseAfterMilliseconds: Int) async throws {
        let topic = TestKafka.uniqueTopic("backpressure")
        try await TestKafka.createTopic(topic, partitions: 2)
        let producer = try TestKafka.producer()
        _ = try await producer.sendAll((0..<3_000).map { KafkaProducerRecord(topic: topic, key: "k\($0 % 9)", value: "\($0)") })
        await producer.close()
        let consumer = try TestKafka.consumer(group: "g-\(topic)", topics: [topic]) {
            $0.bufferCapacity = 100
            $0.backPressurePauseAfterMilliseconds = pauseAfterMilliseconds
        }
        var values: [Int] = []
        while values.count < 3_000 {
            guard let record = await consumer.nextBatch(max: 1, timeout: .seconds(30)).first else { break }
            values.append(Int(record.valueString!)!)
            try consumer.store(record)
            if values.count % 500 == 0 { try await Task.sleep(for: .milliseconds(200)) }  // a slow application
        }
        await consumer.close()
        #expect(values.count == 3_000)
        #expect(Set(values).count == 3_000)
        // One producer, keyed: each partition's values arrive in the order they were sent.
        for key in 0 ..< 9 {
            let ofKey = values.filter { $0 % 9 == key }
            #expect(ofKey == ofKey.sorted())
        }
    }
}

/// Processes records one at a time, storing each, until the consumer stops.
func drain(_ consumer: KafkaConsumer, into seen: Locked<[Int]>) async {
    while let record = await consumer.next() {
        seen.withLock { $0.append(Int(record.valueString!)!) }
        try? consumer.store(record)
    }
}

func waitUntil(timeout: Duration, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw WaitTimeout() }
        try await Task.sleep(for: .milliseconds(50))
    }
}

struct WaitTimeout: Error {}

/// A value shared between test tasks.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
