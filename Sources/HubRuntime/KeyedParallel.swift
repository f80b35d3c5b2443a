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
                        for index in lanes[lane] { done.append((index, try await handle(batch[index]))) }
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

    /// The batch's indices grouped by (partition, key), each group in batch order; groups in order of first appearance.
    static func lanes(_ batch: [KafkaConsumerRecord]) -> [[Int]] {
        struct Lane: Hashable { let topic: String, partition: Int32, key: [UInt8]? }
        var order: [Lane: Int] = [:]
        var lanes: [[Int]] = []
        for (index, record) in batch.enumerated() {
            let lane = Lane(topic: record.topic, partition: record.partition, key: record.key)
            if let at = order[lane] { lanes[at].append(index) } else {
                order[lane] = lanes.count
                lanes.append([index])
            }
        }
        return lanes
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
