import Foundation
import HubLogging
@testable import HubRuntime
import Kafka
import LocalBroker
import Testing

/// Reading one key's latest value from the partition its records go to (`hub status show`, `hub clients show`),
/// on the real broker with records placed by librdkafka's own partitioner.
@Suite("One key's latest value, read from its own partition")
struct OneKeySnapshotTests {
    @Test("each partitioner names the partition the producer used; the latest value, a tombstone, a missing key, a stray record")
    func latestOfOneKey() async throws {
        let client = KafkaClientProperties(bootstrapServers: RuntimeTestKafka.bootstrap)
        let topic = try await RuntimeTestKafka.newTopic("one-key", partitions: 6)
        let keys = (0 ..< 60).map { "VID/case-\($0)" }
        for partitioner in [KafkaPartitioner.consistentRandom, .murmur2Random] {
            var configured = client
            configured["partitioner"] = partitioner.rawValue
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: configured), logger: RuntimeTestKafka.logger)
            let reports = try await producer.sendAll(keys.map { KafkaProducerRecord(topic: topic, key: $0, value: "\(partitioner.rawValue) first") })
            await producer.close()
            for (key, report) in zip(keys, reports) {
                #expect(partitioner.partition(of: Array(key.utf8), partitionCount: 6) == report.partition, "\(partitioner) \(key)")
            }
        }
        // Default partitioner from here on: later values, a tombstone, and one record put in a partition not its own.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: RuntimeTestKafka.logger)
        _ = try await producer.sendAll([
            KafkaProducerRecord(topic: topic, key: "VID/case-7", value: "second"),
            KafkaProducerRecord(topic: topic, key: "VID/case-7", value: "third"),
            KafkaProducerRecord(topic: topic, key: Array("VID/case-8".utf8), value: nil),
        ])
        let home = KafkaPartitioner.consistentRandom.partition(of: Array("VID/stray".utf8), partitionCount: 6)
        _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: (home + 1) % 6, key: Array("VID/stray".utf8), value: Array("elsewhere".utf8)))
        await producer.close()

        func latest(_ key: String) async throws -> String? {
            try await TopicSnapshot.latest(key: key, topic: topic, client: client, logger: RuntimeTestKafka.logger).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(try await latest("VID/case-7") == "third")
        #expect(try await latest("VID/case-8") == nil, "its latest record is a tombstone")
        // A key the two partitioners place apart: the murmur2 producer's later value is in a partition not its own.
        let apart = try #require(keys.first { key in
            key != "VID/case-7" && key != "VID/case-8"
                && KafkaPartitioner.consistent.partition(of: Array(key.utf8), partitionCount: 6) != KafkaPartitioner.murmur2.partition(of: Array(key.utf8), partitionCount: 6)
        })
        #expect(try await latest(apart) == "consistent_random first", "its own partition's latest value is the answer")
        #expect(try await latest("VID/nobody") == nil)
        #expect(try await latest("VID/stray") == "elsewhere", "not in its own partition: looked for in the others")
    }
}

/// Reading a topic from a moment on (a channel worker's ledger reads the receipts of its memory, not of the
/// topic's whole retention), and while it is written, on the real broker.
@Suite("A topic read from a moment on, and while it is written")
struct SnapshotSinceTests {
    @Test("only the records written at or after the moment, in every partition")
    func since() async throws {
        let (client, topic, producer) = try await Self.topicAndProducer("since", partitions: 3)
        func write(_ prefix: String, _ count: Int) async throws {
            _ = try await producer.sendAll((0 ..< count).map { index in
                KafkaProducerRecord(topic: topic, partition: Int32(index % 3), key: Array("k\(index)".utf8), value: Array("\(prefix)-\(index)".utf8))
            })
        }
        // Tansu looks records up by when it appended them (Apache Kafka by their timestamp, here the same moment).
        try await write("old", 60)
        try await Task.sleep(for: .milliseconds(1500))
        let moment = Date()
        try await Task.sleep(for: .milliseconds(100))
        try await write("new", 12)
        await producer.close()
        var read: [String] = []
        try await TopicSnapshot.read(topics: [topic], client: client, logger: RuntimeTestKafka.logger, since: moment) { read.append($0.valueString ?? "") }
        #expect(read.sorted() == (0 ..< 12).map { "new-\($0)" }.sorted())
        var all = 0
        try await TopicSnapshot.read(topics: [topic], client: client, logger: RuntimeTestKafka.logger) { _ in all += 1 }
        #expect(all == 72)
    }

    static func topicAndProducer(_ name: String, partitions: Int32) async throws -> (KafkaClientProperties, String, KafkaProducer) {
        let client = KafkaClientProperties(bootstrapServers: RuntimeTestKafka.bootstrap)
        let topic = try await RuntimeTestKafka.newTopic(name, partitions: partitions)
        return (client, topic, try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: RuntimeTestKafka.logger))
    }

    /// A topic written all the time (notify.receipts in production) is read to the end it had when reading began.
    @Test("records keep arriving every 20 ms: the read still ends, soon, with every record written before it began")
    func busy() async throws {
        let (client, topic, producer) = try await Self.topicAndProducer("busy", partitions: 2)
        _ = try await producer.sendAll((0 ..< 500).map { KafkaProducerRecord(topic: topic, key: Array("k\($0)".utf8), value: Array("before-\($0)".utf8)) })
        let writing = Task {
            var index = 0
            while !Task.isCancelled {
                _ = try? await producer.send(KafkaProducerRecord(topic: topic, key: Array("k\(index)".utf8), value: Array("during-\(index)".utf8)))
                index += 1
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        try await Task.sleep(for: .seconds(1))
        var read = Set<String>()
        let start = ContinuousClock.now
        // Before, only an empty poll could end a read: under a steady stream it ran into its time-out and threw.
        try await TopicSnapshot.read(topics: [topic], client: client, logger: RuntimeTestKafka.logger, timeout: .seconds(20)) {
            read.insert($0.valueString ?? "")
        }
        let took = ContinuousClock.now - start
        writing.cancel()
        _ = await writing.value
        await producer.close()
        #expect(Set((0 ..< 500).map { "before-\($0)" }).isSubset(of: read))
        #expect(read.contains("during-0"), "what was written before the read began is read too")
        #expect(took < .seconds(15), "ended in \(took)")
    }
}
