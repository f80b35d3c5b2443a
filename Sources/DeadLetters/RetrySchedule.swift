import Kafka
import Topics

/// Records read from the retry topics, held per partition until their
/// `hub.retry.due` time. Within a partition records leave in offset order
/// (so committed offsets never pass a record still waiting); a partition
/// whose first record is not due yet holds only itself back.
public struct RetrySchedule: Sendable {
    private struct Queue: Sendable {
        var entries: [(record: KafkaConsumerRecord, dueMilliseconds: Int64)] = []
        var head = 0
        var isEmpty: Bool { head == entries.count }
        var first: (record: KafkaConsumerRecord, dueMilliseconds: Int64)? { isEmpty ? nil : entries[head] }
        mutating func pop() {
            head += 1
            if head == entries.count { entries.removeAll(keepingCapacity: true); head = 0 }
        }
    }

    private var queues: [KafkaTopicPartition: Queue] = [:]

    public init() {}

    /// When `record` is due: its `hub.retry.due` header, or at once without one.
    public static func due(of record: KafkaConsumerRecord) -> Int64 {
        record.headers.string(FailureHeaderName.retryDue).flatMap { Int64($0) } ?? 0
    }

    public mutating func add(_ record: KafkaConsumerRecord) {
        queues[record.topicPartition, default: Queue()].entries.append((record, Self.due(of: record)))
    }

    /// Up to `max` records due at `nowMilliseconds`, in offset order per partition.
    public mutating func takeDue(nowMilliseconds: Int64, max: Int) -> [KafkaConsumerRecord] {
        var taken: [KafkaConsumerRecord] = []
        for partition in queues.keys.sorted() {
            while taken.count < max, let first = queues[partition]?.first, first.dueMilliseconds <= nowMilliseconds {
                taken.append(first.record)
                queues[partition]!.pop()
            }
            if queues[partition]?.isEmpty == true { queues[partition] = nil }
        }
        return taken
    }

    /// The earliest time a held record falls due; nil when none is held.
    public var nextDueMilliseconds: Int64? { queues.values.compactMap { $0.first?.dueMilliseconds }.min() }

    /// Partitions with records held: fetching more from them only fills memory.
    public var holding: Set<KafkaTopicPartition> { Set(queues.keys) }

    public var count: Int { queues.values.reduce(0) { $0 + $1.entries.count - $1.head } }

    /// Forgets the partitions this member no longer owns; their new owner reads them from the committed offset.
    public mutating func drop(_ partitions: [KafkaTopicPartition]) {
        for partition in partitions { queues[partition] = nil }
    }
}
