import Foundation
import HubLogging
import Kafka

/// Reads a (compacted) topic from its start to its current end and keeps
/// the latest value per key: how services load tables such as the
/// catalogue or case states. Needed on Tansu, which does not compact, and
/// right on Apache Kafka too, where compaction lags.
public enum TopicSnapshot {
    public static func latestByKey(topic: String, client: KafkaClientProperties, logger: Logger,
                                   timeout: Duration = .seconds(60)) async throws -> [String: [UInt8]] {
        var latest: [String: [UInt8]] = [:]
        try await read(topics: [topic], client: client, logger: logger, timeout: timeout) { record in
            guard let key = record.keyString else { return }
            if let value = record.value { latest[key] = value } else { latest[key] = nil }  // tombstone
        }
        return latest
    }

    /// The latest value of one key (nil when it has none, or its latest is a tombstone), reading only the
    /// partition the client's partitioner (`KafkaPartitioner`) puts the key in: one partition's records
    /// instead of the topic's, and one value held instead of a table. A key not found there (written by a
    /// producer that partitions otherwise, or before partitions were added) is looked for in the others.
    public static func latest(key: String, topic: String, client: KafkaClientProperties, logger: Logger,
                              timeout: Duration = .seconds(60)) async throws -> [UInt8]? {
        var home: Int32?
        if let partitioner = KafkaPartitioner(of: client), !key.isEmpty {
            let admin = try KafkaAdmin(client: client, logger: logger)
            let count = try await admin.partitions(of: [topic]).count
            await admin.close()
            if count > 0 { home = partitioner.partition(of: Array(key.utf8), partitionCount: Int32(count)) }
        }
        var found: (seen: Bool, value: [UInt8]?) = (false, nil)
        let keep: (KafkaConsumerRecord) -> Void = { record in
            if record.keyString == key { found = (true, record.value) }
        }
        if let home {
            try await read(topics: [topic], client: client, logger: logger, timeout: timeout, only: { $0.partition == home }, visit: keep)
            if found.seen { return found.value }
        }
        try await read(topics: [topic], client: client, logger: logger, timeout: timeout, only: { $0.partition != home }, visit: keep)
        return found.value
    }

    /// Calls `visit` with every committed record of `topics` (of the partitions `only` admits), from their
    /// start (or their first record stamped at or after `since`) to the end they had when reading began, in
    /// order per partition.
    public static func read(topics: [String], client: KafkaClientProperties, logger: Logger, timeout: Duration = .seconds(60),
                            since: Date? = nil, only: (KafkaTopicPartition) -> Bool = { _ in true },
                            visit: (KafkaConsumerRecord) throws -> Void) async throws {
        guard let (consumer, ends) = try await reader(topics: topics, client: client, logger: logger, groupID: "hub-snapshot", since: since,
                                                         only: only, tune: { configuration in
            configuration.bufferCapacity = 50_000
            configuration.client["max.partition.fetch.bytes"] = "8388608"
        }) else { return }
        defer { Task { await consumer.close() } }
        let toRead = Array(ends.keys)
        let started = ContinuousClock.now
        let deadline = started + timeout
        var watch = PositionWatch()
        let most = 10_000
        while !toRead.isEmpty, ContinuousClock.now < deadline {
            // Positions count what the poll thread has taken from librdkafka, buffered records included: read
            // before the batch, so a batch short of `most` (the buffer emptied) proves every record behind them was
            // handed out. Read after it, they could count records buffered in between, and the read ended without
            // them. Not only an empty batch: a topic written all the time (notify.receipts) never gives one.
            let positions = consumer.positions(), lag = consumer.lag()
            let batch = await consumer.nextBatch(max: most, timeout: .milliseconds(100))
            for record in batch { try visit(record) }
            if batch.count < most {
                let still = watch.update(positions), waited = ContinuousClock.now - started
                if toRead.allSatisfy({ Self.isRead($0, end: ends[$0]!, lag: lag, positions: positions, still: still[$0] ?? .zero, waited: waited) }) { return }
            }
        }
        if toRead.isEmpty { return }
        throw SnapshotError(topic: topics.joined(separator: ","))
    }
}

extension TopicSnapshot {
    /// Whether a partition read from its start has been read to `end` (when no record said so): its position
    /// reached the end; or, short of it (markers and aborted records after the last record a reader sees, or
    /// the tail of a transaction still open), no lag and a position that has not moved for 2 s (`still`). The
    /// lag comes from the high watermark of the latest fetch, which can lag behind `end` while more records are
    /// on their way: trusted at once, it ended snapshots early under load, missing records already committed.
    /// Before a partition is fetched from its position is unknown, and a lag figured from the log start and a
    /// stale high watermark can say 0 with nothing read; such a partition counts as read only after 10 s of it
    /// (one holding nothing but aborted records and markers never gets a position).
    static func isRead(_ partition: KafkaTopicPartition, end: Int64, lag: [KafkaTopicPartition: Int64],
                       positions: [KafkaTopicPartition: Int64], still: Duration, waited: Duration) -> Bool {
        if let position = positions[partition] { return position >= end || (lag[partition] == 0 && still >= .seconds(2)) }
        return lag[partition] == 0 && waited > .seconds(10)
    }

    /// How long each partition's position has stayed where it is, over the polls it is shown (records
    /// arriving between two polls move the position, so nothing is missed).
    struct PositionWatch {
        private var seen: [KafkaTopicPartition: (position: Int64, since: ContinuousClock.Instant)] = [:]

        /// Takes the latest positions; returns, per partition, for how long its position has not moved.
        mutating func update(_ positions: [KafkaTopicPartition: Int64], now: ContinuousClock.Instant = .now) -> [KafkaTopicPartition: Duration] {
            var still: [KafkaTopicPartition: Duration] = [:]
            for (partition, position) in positions {
                if let last = seen[partition], last.position == position {
                    still[partition] = now - last.since
                } else {
                    seen[partition] = (position, now)
                    still[partition] = .zero
                }
            }
            return still
        }
    }

    /// A consumer assigned to every partition of `topics` from its start, or from its first record stamped at
    /// or after `since` (no group to join, seconds on some brokers; nothing to commit), and the end offset of
    /// each partition that holds records to read as reading begins (the others are read already). Nil when
    /// none of the topics exists.
    static func reader(topics: [String], client: KafkaClientProperties, logger: Logger, groupID: String, since: Date? = nil,
                          only: (KafkaTopicPartition) -> Bool = { _ in true },
                          tune: (inout KafkaConsumerConfiguration) -> Void = { _ in }) async throws
        -> (consumer: KafkaConsumer, ends: [KafkaTopicPartition: Int64])? {
        let admin = try KafkaAdmin(client: client, logger: logger)
        // Metadata can lag a moment behind a topic just created or written: ask again
        // for up to 3 s before reading a topic as missing.
        var partitions = try await admin.partitions(of: topics)
        for _ in 0 ..< 15 where Set(partitions.map(\.topic)).count < Set(topics).count {
            try await Task.sleep(for: .milliseconds(200))
            partitions = try await admin.partitions(of: topics)
        }
        partitions = partitions.filter(only)
        // Where to start, when not at the start: a partition with no record since then has nothing to read.
        var starts: [KafkaTopicPartition: Int64?]?
        if let since, !partitions.isEmpty {
            do { starts = try await admin.offsets(at: since, of: partitions) } catch { await admin.close(); throw error }
        }
        await admin.close()
        guard !partitions.isEmpty else { return nil }
        var configuration = KafkaConsumerConfiguration(client: client, groupID: groupID)
        configuration.enableAutoCommit = false
        tune(&configuration)
        let subscription: KafkaSubscription = if let starts {
            .partitionsAt(starts.compactMapValues { $0 })
        } else {
            .partitionsFromStart(partitions)
        }
        let consumer = try KafkaConsumer(configuration: configuration, subscription: subscription, logger: logger)
        let watermarks = try await consumer.watermarks(partitions)
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions {
            var start: Int64 = 0
            if let starts {
                guard let found = starts[partition] ?? nil else { continue }  // nothing since then
                start = found
            }
            guard let marks = watermarks[partition] else { ends[partition] = Int64.max; continue }  // unknown: read until caught up
            if marks.high > max(marks.low, start) { ends[partition] = marks.high }
        }
        return (consumer, ends)
    }
}

public struct SnapshotError: Error, CustomStringConvertible {
    public let topic: String
    public var description: String { "could not read \(topic) to its end in time" }
}
