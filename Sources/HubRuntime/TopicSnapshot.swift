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
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "hub-snapshot-\(UUID().uuidString.prefix(12))")
        configuration.enableAutoCommit = false
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.revokeGraceMilliseconds = 0  // it stores nothing: nothing to wait for
        let consumer = try KafkaConsumer(configuration: configuration, subscription: .topics([topic]), logger: logger)
        defer { Task { await consumer.close() } }
        var latest: [String: [UInt8]] = [:]
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let batch = await consumer.nextBatch(max: 5_000, timeout: .milliseconds(300))
            for record in batch {
                guard let key = record.keyString else { continue }
                if let value = record.value { latest[key] = value } else { latest[key] = nil }  // tombstone
            }
            if batch.isEmpty {
                let assigned = consumer.assignment
                let lag = consumer.lag()
                if !assigned.isEmpty, assigned.allSatisfy({ lag[$0] == 0 }) { return latest }
            }
        }
        throw SnapshotError(topic: topic)
    }
}

public struct SnapshotError: Error, CustomStringConvertible {
    public let topic: String
    public var description: String { "could not read \(topic) to its end in time" }
}
