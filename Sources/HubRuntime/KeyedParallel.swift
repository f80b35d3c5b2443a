import Kafka
import Synchronization

/// Handles a batch's records concurrently where order allows: records of one
/// partition with the same key stay in order (one client's notices), other
/// keys run side by side, at most `width` at a time. Outputs come back in
/// the batch's order, so a transaction writes them as a sequential run would.
public enum KeyedParallel {
    public static func map<Output: Sendable>(
        _ batch: [KafkaConsumerRecord], width: Int,
        _ handle: @escaping @Sendable (KafkaConsumerRecord) async throws -> [Output]
    ) async throws -> [Output] {
        if width <= 1 || batch.count <= 1 {
            var outputs: [Output] = []
            for record in batch { outputs += try await handle(record) }
            return outputs
        }
        let lanes = Self.lanes(batch)
        // `width` tasks, each taking the next lane when it finishes one: a batch's records cost no task each.
        // A failure cancels the group, and no task starts another lane after it.
        let next = LaneCursor()
        var results = [[Output]](repeating: [], count: batch.count)
        try await withThrowingTaskGroup(of: [(Int, [Output])].self) { group in
            for _ in 0 ..< min(width, lanes.count) {
                group.addTask {
                    var done: [(Int, [Output])] = []
                    while !Task.isCancelled, let lane = next.take(below: lanes.count) {
                        var index = lanes.first[lane]
                        while index >= 0 {
                            done.append((index, try await handle(batch[index])))
                            index = lanes.next[index]
                        }
                    }
                    return done
                }
            }
            while let finished = try await group.next() {
                for (index, outputs) in finished { results[index] = outputs }
            }
        }
        return results.flatMap { $0 }
    }

    /// The batch's indices grouped by (topic, partition, key), each lane in batch order, as chains through the batch
    /// (no array per lane: a batch of distinct keys has as many lanes as records).
    struct Lanes {
        /// Each lane's first index, lanes in order of first appearance.
        let first: [Int]
        /// After each index, the next index of its lane, or -1.
        let next: [Int]
        var count: Int { first.count }

        /// Each lane's indices in order.
        var arrays: [[Int]] {
            first.map { start in
                var lane: [Int] = [], index = start
                while index >= 0 { lane.append(index); index = next[index] }
                return lane
            }
        }
    }

    static func lanes(_ batch: [KafkaConsumerRecord]) -> Lanes {
        // Topics by number: a batch holds one or a few, and hashing the name for every record showed.
        struct Lane: Hashable { let topic: Int, partition: Int32, key: [UInt8]? }
        var topics: [String] = []
        var order: [Lane: Int] = [:]
        order.reserveCapacity(batch.count)
        var first: [Int] = [], last: [Int] = []
        var next = [Int](repeating: -1, count: batch.count)
        for index in batch.indices {
            let record = batch[index]
            let topic: Int
            if let known = topics.firstIndex(of: record.topic) { topic = known } else {
                topic = topics.count
                topics.append(record.topic)
            }
            let lane = Lane(topic: topic, partition: record.partition, key: record.key)
            if let at = order[lane] {
                next[last[at]] = index
                last[at] = index
            } else {
                order[lane] = first.count
                first.append(index)
                last.append(index)
            }
        }
        return Lanes(first: first, next: next)
    }
}

/// Hands out lane numbers in order to the tasks of one `KeyedParallel.map`.
private final class LaneCursor: Sendable {
    private let next = Atomic<Int>(0)
    func take(below count: Int) -> Int? {
        let lane = next.add(1, ordering: .relaxed).oldValue
        return lane < count ? lane : nil
    }
}
