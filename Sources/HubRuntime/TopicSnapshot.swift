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

    /// Calls `visit` with every committed record of `topics`, from their
    /// start to the end they had when reading began, in order per partition.
    public static func read(topics: [String], client: KafkaClientProperties, logger: Logger, timeout: Duration = .seconds(60),
                            visit: (KafkaConsumerRecord) throws -> Void) async throws {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "hub-snapshot-\(UUID().uuidString.prefix(12))")
        configuration.enableAutoCommit = false
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.revokeGraceMilliseconds = 0  // it stores nothing: nothing to wait for
        configuration.bufferCapacity = 50_000
        let consumer = try KafkaConsumer(configuration: configuration, subscription: .topics(topics), logger: logger)
        defer { Task { await consumer.close() } }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let batch = await consumer.nextBatch(max: 10_000, timeout: .milliseconds(300))
            for record in batch { try visit(record) }
            if batch.isEmpty {
                let assigned = consumer.assignment
                let lag = consumer.lag()
                if !assigned.isEmpty, assigned.allSatisfy({ lag[$0] == 0 }) { return }
            }
        }
        throw SnapshotError(topic: topics.joined(separator: ","))
    }
}

public struct SnapshotError: Error, CustomStringConvertible {
    public let topic: String
    public var description: String { "could not read \(topic) to its end in time" }
}
