import Kafka

/// The records a stage has in hand, as offset ranges per partition, with
/// how many crashes already happened while (some of) them were in hand.
/// Written to the `CrashJournal` before the records are handled, so after a
/// crash the next start knows which records to suspect.
public struct InFlightRecords: Sendable, Hashable {
    public struct Range: Sendable, Hashable {
        public let topic: String
        public let partition: Int32
        public var first: Int64
        public var last: Int64
        public init(topic: String, partition: Int32, first: Int64, last: Int64) {
            self.topic = topic
            self.partition = partition
            self.first = first
            self.last = last
        }
    }

    public private(set) var ranges: [Range]
    public var crashes: Int

    public init(ranges: [Range], crashes: Int) {
        self.ranges = ranges
        self.crashes = crashes
    }

    public init(records: [KafkaConsumerRecord], crashes: Int) {
        var ranges: [Range] = []
        var index: [KafkaTopicPartition: Int] = [:]
        for record in records {
            if let at = index[record.topicPartition] {
                ranges[at].first = min(ranges[at].first, record.offset)
                ranges[at].last = max(ranges[at].last, record.offset)
            } else {
                index[record.topicPartition] = ranges.count
                ranges.append(Range(topic: record.topic, partition: record.partition, first: record.offset, last: record.offset))
            }
        }
        self.init(ranges: ranges, crashes: crashes)
    }

    public func contains(_ record: KafkaConsumerRecord) -> Bool {
        ranges.contains { $0.topic == record.topic && $0.partition == record.partition && $0.first <= record.offset && record.offset <= $0.last }
    }

    /// One record alone: a crash with it in hand points at it.
    public var isSingleRecord: Bool { ranges.count == 1 && ranges[0].first == ranges[0].last }

    /// `crashes N` then one `topic partition first last` line per range.
    public var text: String {
        (["crashes \(crashes)"] + ranges.map { "\($0.topic) \($0.partition) \($0.first) \($0.last)" }).joined(separator: "\n") + "\n"
    }

    /// Nil for an empty journal (a clean stop) or one that cannot be read.
    public init?(text: String) {
        let lines = text.split(separator: "\n")
        guard let head = lines.first?.split(separator: " "), head.count == 2, head[0] == "crashes", let crashes = Int(head[1]) else { return nil }
        var ranges: [Range] = []
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ")
            guard parts.count == 4, let partition = Int32(parts[1]), let first = Int64(parts[2]), let last = Int64(parts[3]) else { return nil }
            ranges.append(Range(topic: String(parts[0]), partition: partition, first: first, last: last))
        }
        guard !ranges.isEmpty else { return nil }
        self.init(ranges: ranges, crashes: crashes)
    }
}
