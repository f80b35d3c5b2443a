import Foundation
@testable import HubRuntime
import Kafka
import Synchronization
import Testing

@Suite("Keyed parallel handling of a batch")
struct KeyedParallelTests {
    static func batch(_ keys: [String], partition: Int32 = 0) -> [KafkaConsumerRecord] {
        keys.enumerated().map { offset, key in
            KafkaConsumerRecord(topic: "t", partition: partition, offset: Int64(offset), key: Array(key.utf8), value: Array("\(offset)".utf8),
                                headers: [], timestampMilliseconds: nil)
        }
    }

    /// Records which handlers run at once and in what order each key's records start.
    final class Trace: Sendable {
        let state = Mutex((running: 0, most: 0, started: [String: [Int64]]()))
        func enter(_ record: KafkaConsumerRecord) {
            state.withLock {
                $0.running += 1
                $0.most = max($0.most, $0.running)
                $0.started[record.keyString!, default: []].append(record.offset)
            }
        }
        func leave() { state.withLock { $0.running -= 1 } }
    }

    @Test("outputs come back in the batch's order, one key's records in order, at most `width` at once")
    func orderAndWidth() async throws {
        let keys = (0 ..< 300).map { "client-\($0 % 40)" }
        let records = Self.batch(keys)
        let trace = Trace()
        let outputs = try await KeyedParallel.map(records, width: 8) { record -> [Int64] in
            trace.enter(record)
            // Later records of a key finish sooner, so an order kept only by luck would show.
            try await Task.sleep(for: .microseconds(Int(300 - record.offset) * 3))
            trace.leave()
            return [record.offset]
        }
        #expect(outputs == records.map(\.offset))
        let state = trace.state.withLock { $0 }
        #expect(state.most <= 8)
        #expect(state.most > 1)
        for (key, started) in state.started {
            #expect(started == started.sorted(), "\(key)")
            #expect(started.count == keys.filter { $0 == key }.count)
        }
    }

    @Test("a failure stops the batch: it is thrown, and no record starts after it")
    func failureStops() async {
        let records = Self.batch((0 ..< 200).map { "k\($0)" })
        let started = Mutex(0)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            _ = try await KeyedParallel.map(records, width: 4) { record -> [Int64] in
                started.withLock { $0 += 1 }
                if record.offset == 10 { throw Boom() }
                try await Task.sleep(for: .milliseconds(2))
                return [record.offset]
            }
        }
        // The failing record, the three beside it, and at most one more each that was taking its lane as it failed.
        #expect(started.withLock { $0 } <= 11 + 4 + 4)
    }

    @Test("lanes: one per topic, partition and key, each in batch order, in order of first appearance")
    func lanes() {
        let first = Self.batch(["a", "b", "a", "c", "b", "a"])
        func record(_ topic: String, _ partition: Int32, _ offset: Int64, _ key: String?) -> KafkaConsumerRecord {
            KafkaConsumerRecord(topic: topic, partition: partition, offset: offset, key: key.map { Array($0.utf8) }, value: nil, headers: [],
                                timestampMilliseconds: nil)
        }
        let rest = [record("t", 1, 6, "a"), record("t", 0, 7, nil), record("u", 0, 0, "a"), record("t", 0, 8, nil), record("u", 0, 1, "a")]
        let lanes = KeyedParallel.lanes(first + rest)
        #expect(lanes.arrays == [[0, 2, 5], [1, 4], [3], [6], [7, 9], [8, 10]])
        #expect(lanes.count == 6 && KeyedParallel.lanes([]).count == 0)
    }
}
