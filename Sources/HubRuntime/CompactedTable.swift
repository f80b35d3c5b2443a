import Foundation
import HubLogging
import Kafka
import Locking

/// Follows a compacted topic (the catalogue, client profiles, templates)
/// from its start, by partition assignment, and hands every change to
/// `apply` (a nil value is a tombstone). `caughtUp()` returns once the
/// records that were there when following began have been applied, so a
/// service can wait for its tables before its first record; later changes
/// keep arriving while it runs.
public final class CompactedTable: Sendable {
    public typealias Apply = @Sendable (_ key: String, _ value: [UInt8]?) -> Void

    public let topic: String
    private let client: KafkaClientProperties
    private let logger: Logger
    private let apply: Apply
    private let ready = ShutdownSignal()
    private let failure = PosixMutex<String?>(nil)

    public init(topic: String, client: KafkaClientProperties, logger: Logger, apply: @escaping Apply) {
        self.topic = topic
        self.client = client
        self.logger = logger.named("table").with(["topic": topic])
        self.apply = apply
    }

    /// Returns when the table holds everything the topic held when following
    /// began; throws when following failed before that.
    public func caughtUp() async throws {
        await ready.wait()
        if let failure = failure.withLock({ $0 }) { throw TableError(topic: topic, reason: failure) }
    }

    /// Follows until `stop` is triggered.
    public func follow(until stop: ShutdownSignal) async throws {
        do { try await following(until: stop) } catch {
            failure.withLock { $0 = String(describing: error) }
            ready.trigger()
            throw error
        }
    }

    private func following(until stop: ShutdownSignal) async throws {
        guard let (consumer, ends) = try await TopicSnapshot.reader(topics: [topic], client: client, logger: logger, groupID: "hub-table") else {
            throw TableError(topic: topic, reason: "the topic does not exist: run 'hub topics apply'")
        }
        let watcher = Task { await stop.wait(); consumer.stopFetching() }
        defer { watcher.cancel() }
        var pending = Set(ends.keys)
        var watch = TopicSnapshot.PositionWatch()
        let started = ContinuousClock.now
        if pending.isEmpty { ready.trigger() }
        while !stop.isTriggered {
            // Read before the batch, as `TopicSnapshot.read` does: an empty batch then proves all behind them handed out.
            let progress = pending.isEmpty ? nil : (positions: consumer.positions(), lag: consumer.lag())
            let batch = await consumer.nextBatch(max: 5_000, timeout: .milliseconds(200))
            for record in batch {
                guard let key = record.keyString else {
                    logger.warning("record without a key skipped", ["offset": String(record.offset)])
                    continue
                }
                apply(key, record.value)
                if let end = ends[record.topicPartition], record.offset + 1 >= end { pending.remove(record.topicPartition) }
            }
            if let progress, batch.isEmpty {
                let still = watch.update(progress.positions), waited = ContinuousClock.now - started
                pending = pending.filter {
                    !TopicSnapshot.isRead($0, end: ends[$0]!, lag: progress.lag, positions: progress.positions, still: still[$0] ?? .zero, waited: waited)
                }
            }
            if pending.isEmpty { ready.trigger() }
        }
        await consumer.close()
    }
}

public struct TableError: Error, CustomStringConvertible {
    public let topic: String
    public let reason: String
    public var description: String { "cannot follow table \(topic): \(reason)" }
}
