import Foundation
import Kafka
import Testing

@Suite("Produce and consume against the real broker")
struct ProduceConsumeTests {
    @Test("a record keeps its key, value, headers and timestamp")
    func roundTrip() async throws {
        let topic = TestKafka.uniqueTopic("roundtrip")
        try await TestKafka.createTopic(topic)
        let producer = try TestKafka.producer()
        let timestamp: Int64 = 1_700_000_000_123
        let headers = [KafkaHeader(key: "hub-event-id", string: "e-1"), KafkaHeader(key: "empty", value: nil),
                       KafkaHeader(key: "dup", string: "a"), KafkaHeader(key: "dup", string: "b")]
        let report = try await producer.send(KafkaProducerRecord(topic: topic, key: "VID/case-1", value: #"{"a":1}"#,
                                                                 headers: headers, timestampMilliseconds: timestamp))
        #expect(report.topic == topic)
        #expect(report.offset == 0)
        await producer.close()

        let consumer = try TestKafka.consumer(group: "g-\(topic)", topics: [topic])
        let records = await collect(consumer, count: 1)
        await consumer.close()
        try #require(records.count == 1)
        let record = records[0]
        #expect(record.keyString == "VID/case-1")
        #expect(record.valueString == #"{"a":1}"#)
        #expect(record.headers == headers)
        #expect(record.timestampMilliseconds == timestamp)
        #expect(record.partition == report.partition)
    }

    @Test("10,000 records arrive in order per key")
    func orderPerKey() async throws {
        let topic = TestKafka.uniqueTopic("order")
        try await TestKafka.createTopic(topic, partitions: 4)
        let producer = try TestKafka.producer()
        let keys = (0..<20).map { "AGENCY/case-\($0)" }
        let records = (0..<10_000).map { index in
            KafkaProducerRecord(topic: topic, key: keys[index % keys.count], value: "\(index)")
        }
        let reports = try await producer.sendAll(records)
        #expect(reports.count == 10_000)
        await producer.close()

        let consumer = try TestKafka.consumer(group: "g-\(topic)", topics: [topic])
        let received = await collect(consumer, count: 10_000, timeout: .seconds(60))
        await consumer.close()
        #expect(received.count == 10_000)
        var lastByKey: [String: Int] = [:]
        var outOfOrder = 0
        for record in received {
            let key = record.keyString!, value = Int(record.valueString!)!
            if let last = lastByKey[key], last >= value { outOfOrder += 1 }
            lastByKey[key] = value
        }
        #expect(outOfOrder == 0)
        #expect(Set(received.map { Int($0.valueString!)! }).count == 10_000)
    }

    @Test("stop after N records, start again: nothing missed, nothing repeated")
    func commitAndResume() async throws {
        let topic = TestKafka.uniqueTopic("resume")
        try await TestKafka.createTopic(topic, partitions: 2)
        let producer = try TestKafka.producer()
        _ = try await producer.sendAll((0..<500).map { KafkaProducerRecord(topic: topic, key: "k\($0 % 7)", value: "\($0)") })
        await producer.close()

        let group = "g-\(topic)"
        let first = try TestKafka.consumer(group: group, topics: [topic])
        var seen: [Int] = []
        while seen.count < 200 {
            guard let record = await first.next() else { break }
            seen.append(Int(record.valueString!)!)
            try first.store(record)
        }
        await first.close()
        #expect(seen.count == 200)

        let second = try TestKafka.consumer(group: group, topics: [topic])
        let rest = await collect(second, count: 300)
        // Nothing beyond the 500: wait briefly for a stray extra record.
        let extra = await collect(second, count: 1, timeout: .seconds(2))
        await second.close()
        seen.append(contentsOf: rest.map { Int($0.valueString!)! })
        #expect(extra.isEmpty)
        #expect(seen.count == 500)
        #expect(Set(seen) == Set(0..<500))
    }
}
