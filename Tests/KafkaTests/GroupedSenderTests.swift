import Foundation
import Kafka
import Testing

@Suite("Grouped sends against the real broker")
struct GroupedSenderTests {
    @Test("100 callers at once: each is acknowledged, in 4 groups of 25, and every record is on the topic")
    func groupsOfConcurrentCallers() async throws {
        let (topic, producer) = try await Self.topicAndProducer("grouped")
        // A long wait: only full groups may leave, so the count of groups says the grouping happened.
        let sender = KafkaGroupedSender(producer: producer, groupSize: 25, maximumWait: .seconds(30))
        let reports = try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
            for index in 0 ..< 100 {
                group.addTask { try await sender.send(KafkaProducerRecord(topic: topic, key: "client-\(index)", value: "\(index)")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await producer.close()
        #expect(reports.count == 100)
        #expect(reports.allSatisfy { $0.topic == topic && $0.offset >= 0 })
        #expect(Set(reports.map { "\($0.partition)/\($0.offset)" }).count == 100)
        #expect(sender.groups == 4)

        let consumer = try TestKafka.consumer(group: "g-\(topic)", topics: [topic])
        let records = await collect(consumer, count: 100)
        await consumer.close()
        #expect(Set(records.compactMap(\.valueString)) == Set((0 ..< 100).map(String.init)))
    }

    @Test("a lone record goes once its wait is over, and the next one starts a group of its own")
    func loneRecordGoesAfterItsWait() async throws {
        let topic = TestKafka.uniqueTopic("grouped-lone")
        try await TestKafka.createTopic(topic, partitions: 1)
        let producer = try TestKafka.producer()
        let sender = KafkaGroupedSender(producer: producer, groupSize: 50, maximumWait: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        let first = try await sender.send(KafkaProducerRecord(topic: topic, key: "a", value: "1"))
        let waited = clock.now - start
        #expect(waited >= .milliseconds(200))
        #expect(waited < .seconds(10))
        let second = try await sender.send(KafkaProducerRecord(topic: topic, key: "a", value: "2"))
        await producer.close()
        #expect(first.offset == 0)
        #expect(second.offset == 1)
        #expect(sender.groups == 2)
    }

    @Test("a record for a topic that does not exist fails its caller; the others in its group are acknowledged")
    func failureReachesItsCaller() async throws {
        let (topic, producer) = try await Self.topicAndProducer("grouped-ok", failingFast: true)
        let sender = KafkaGroupedSender(producer: producer, groupSize: 2, maximumWait: .seconds(30))
        let missing = TestKafka.uniqueTopic("grouped-missing")
        let good = Task { try await sender.send(KafkaProducerRecord(topic: topic, key: "a", value: "ok")) }
        let bad = Task { try await sender.send(KafkaProducerRecord(topic: missing, key: "a", value: "lost")) }
        let report = try await good.value
        #expect(report.topic == topic)
        await #expect(throws: KafkaError.self) { _ = try await bad.value }
        await producer.close(flushTimeoutMilliseconds: 1_000)
        #expect(sender.groups == 1)
    }

    @Test("posted records go in the same groups without their callers waiting; settle returns once every one posted before it is acknowledged, sending a waiting group at once")
    func postedRecordsSettle() async throws {
        let (topic, producer) = try await Self.topicAndProducer("grouped-posted")
        // Groups of 1,000 and a long wait: only settle can send the last 10 before 30 s.
        let sender = KafkaGroupedSender(producer: producer, groupSize: 1_000, maximumWait: .seconds(30))
        try await sender.settle()  // nothing posted: at once
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0 ..< 3_010 { sender.post(KafkaProducerRecord(topic: topic, key: "client-\(index % 97)", value: "\(index)")) }
        #expect(sender.groups == 3)
        try await sender.settle()
        #expect(clock.now - start < .seconds(20))
        #expect(sender.groups == 4)
        // Read at once, without waiting for a flush: settle meant the broker has every one.
        let consumer = try TestKafka.consumer(group: "g-\(topic)", topics: [topic])
        let records = await collect(consumer, count: 3_010)
        await consumer.close()
        await producer.close()
        #expect(Set(records.compactMap(\.valueString)) == Set((0 ..< 3_010).map(String.init)))
    }

    @Test("a posted record the broker never takes makes settle throw, then and on every later call")
    func postedFailureSettles() async throws {
        let (topic, producer) = try await Self.topicAndProducer("grouped-posted-ok", failingFast: true)
        let sender = KafkaGroupedSender(producer: producer, groupSize: 10, maximumWait: .milliseconds(5))
        sender.post(KafkaProducerRecord(topic: topic, key: "a", value: "ok"))
        try await sender.settle()
        sender.post(KafkaProducerRecord(topic: TestKafka.uniqueTopic("grouped-posted-missing"), key: "a", value: "lost"))
        sender.post(KafkaProducerRecord(topic: topic, key: "a", value: "ok too"))
        await #expect(throws: KafkaError.self) { try await sender.settle() }
        await #expect(throws: KafkaError.self) { try await sender.settle() }
        await producer.close(flushTimeoutMilliseconds: 1_000)
    }

    /// A new topic, and a producer with the 1 ms linger a grouped sender is meant to have; `failingFast`: one that gives
    /// up on a record after 3 s and does not create topics, so a record for a missing topic fails.
    static func topicAndProducer(_ name: String, failingFast: Bool = false) async throws -> (String, KafkaProducer) {
        let topic = TestKafka.uniqueTopic(name)
        try await TestKafka.createTopic(topic)
        var configuration = KafkaProducerConfiguration(client: TestKafka.client)
        configuration.lingerMilliseconds = 1
        if failingFast {
            configuration.deliveryTimeoutMilliseconds = 3_000
            configuration.client["allow.auto.create.topics"] = "false"
        }
        return (topic, try KafkaProducer(configuration: configuration, logger: TestKafka.logger))
    }
}
