@testable import HubRuntime
import Kafka
import Testing

@Suite("Reading a topic from its start: when a partition counts as read")
struct SnapshotProgressTests {
    let partition = KafkaTopicPartition(topic: "t", partition: 0)

    @Test("a position at the end, or no lag once the position is known; no lag with no position only after 10 s")
    func isRead() {
        func read(lag: Int64?, position: Int64?, waited: Duration) -> Bool {
            TopicSnapshot.isRead(partition, end: 100, lag: lag.map { [partition: $0] } ?? [:], positions: position.map { [partition: $0] } ?? [:],
                                 waited: waited)
        }
        #expect(read(lag: nil, position: 100, waited: .zero))
        #expect(read(lag: 0, position: 40, waited: .zero), "control records past the last data record")
        #expect(!read(lag: 5, position: 95, waited: .seconds(30)))
        #expect(!read(lag: 0, position: nil, waited: .seconds(2)), "nothing fetched yet: a lag of 0 proves nothing")
        #expect(read(lag: 0, position: nil, waited: .seconds(11)), "nothing in it but aborted records and markers")
        #expect(!read(lag: nil, position: nil, waited: .seconds(60)))
    }
}
