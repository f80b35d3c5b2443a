import DeadLetters
import Kafka
import Testing
import Topics

@Suite("Retry schedule")
struct RetryScheduleTests {
    func record(_ offset: Int64, partition: Int32 = 0, due: Int64?) -> KafkaConsumerRecord {
        KafkaConsumerRecord(topic: "hub.retry.10s", partition: partition, offset: offset, key: nil, value: nil,
                            headers: due.map { [KafkaHeader(key: FailureHeaderName.retryDue, string: String($0))] } ?? [],
                            timestampMilliseconds: nil)
    }

    @Test("records leave in offset order per partition once due; a waiting head holds back only its partition")
    func order() {
        var schedule = RetrySchedule()
        for record in [record(0, due: 1_000), record(1, due: 500), record(0, partition: 1, due: 200), record(1, partition: 1, due: 300)] {
            schedule.add(record)
        }
        #expect(schedule.nextDueMilliseconds == 200)
        #expect(schedule.takeDue(nowMilliseconds: 600, max: 10).map { "\($0.partition)/\($0.offset)" } == ["1/0", "1/1"])
        // Offset 1 of partition 0 is due, but offset 0 before it is not: nothing of partition 0 leaves.
        #expect(schedule.holding == [KafkaTopicPartition(topic: "hub.retry.10s", partition: 0)])
        #expect(schedule.nextDueMilliseconds == 1_000)
        #expect(schedule.takeDue(nowMilliseconds: 1_000, max: 1).map(\.offset) == [0])
        #expect(schedule.takeDue(nowMilliseconds: 1_000, max: 10).map(\.offset) == [1])
        #expect(schedule.count == 0 && schedule.holding.isEmpty && schedule.nextDueMilliseconds == nil)
    }

    @Test("a record without a due time is due at once; dropped partitions are forgotten")
    func noDueAndDrop() {
        var schedule = RetrySchedule()
        schedule.add(record(0, due: nil))
        schedule.add(record(0, partition: 2, due: 9_999))
        #expect(RetrySchedule.due(of: record(0, due: nil)) == 0)
        schedule.drop([KafkaTopicPartition(topic: "hub.retry.10s", partition: 2)])
        #expect(schedule.count == 1)
        #expect(schedule.takeDue(nowMilliseconds: 1, max: 10).count == 1)
    }
}
