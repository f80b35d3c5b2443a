@testable import HubRuntime
import Kafka
import Testing

@Suite("Reading a topic from its start: when a partition counts as read")
struct SnapshotProgressTests {
    let partition = KafkaTopicPartition(topic: "t", partition: 0)

    @Test("a position at the end; short of it, no lag and a position still for 2 s; no lag with no position only after 10 s")
    func isRead() {
        func read(lag: Int64?, position: Int64?, still: Duration = .zero, waited: Duration) -> Bool {
            TopicSnapshot.isRead(partition, end: 100, lag: lag.map { [partition: $0] } ?? [:], positions: position.map { [partition: $0] } ?? [:],
                                 still: still, waited: waited)
        }
        #expect(read(lag: nil, position: 100, waited: .zero))
        #expect(!read(lag: 0, position: 40, still: .milliseconds(300), waited: .seconds(5)), "a fetch's watermark behind the end: more may be coming")
        #expect(read(lag: 0, position: 40, still: .seconds(2), waited: .seconds(5)), "control records past the last data record")
        #expect(!read(lag: 5, position: 95, still: .seconds(30), waited: .seconds(30)))
        #expect(!read(lag: 0, position: nil, waited: .seconds(2)), "nothing fetched yet: a lag of 0 proves nothing")
        #expect(read(lag: 0, position: nil, waited: .seconds(11)), "nothing in it but aborted records and markers")
        #expect(!read(lag: nil, position: nil, waited: .seconds(60)))
    }

    @Test("a position watch says how long each partition's position has not moved")
    func positionWatch() {
        var watch = TopicSnapshot.PositionWatch()
        let other = KafkaTopicPartition(topic: "t", partition: 1)
        let start = ContinuousClock.now
        #expect(watch.update([partition: 5, other: 0], now: start) == [partition: .zero, other: .zero])
        #expect(watch.update([partition: 5, other: 3], now: start + .seconds(1)) == [partition: .seconds(1), other: .zero])
        #expect(watch.update([partition: 5, other: 3], now: start + .seconds(3)) == [partition: .seconds(3), other: .seconds(2)])
        #expect(watch.update([partition: 9], now: start + .seconds(4)) == [partition: .zero])
    }
}
