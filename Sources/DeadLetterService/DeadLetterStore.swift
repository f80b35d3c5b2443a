import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Topics

/// Builds the dead-letter index from the topics: every record of
/// `hub.deadletter` and of the quarantine topics, then the resolutions on
/// `hub.deadletter.state`.
public enum DeadLetterStore {
    /// Where failed records are kept: the dead-letter topic and every quarantine.
    public static let letterTopics = [HubTopics.hubDeadLetter.name, HubTopics.statusQuarantine.name]

    /// The topics the reprocessor reads and writes; created when missing.
    public static func ensureTopics(client: KafkaClientProperties, logger: Logger) async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        defer { Task { await admin.close() } }
        let declarations = [HubTopics.hubDeadLetter, HubTopics.statusQuarantine, HubTopics.hubDeadLetterState, HubTopics.hubAudit]
        _ = try await admin.createTopics(declarations.map { KafkaTopicSpecification(name: $0.name, partitions: Int32($0.partitions)) })
    }

    public static func load(client: KafkaClientProperties, logger: Logger) async throws -> DeadLetterIndex {
        try await ensureTopics(client: client, logger: logger)
        var index = DeadLetterIndex()
        var unreadable = 0
        try await TopicSnapshot.read(topics: letterTopics, client: client, logger: logger) { record in
            if !index.add(record) { unreadable += 1 }
        }
        if unreadable > 0 { logger.warning("records without failure headers in the dead-letter topics", ["count": String(unreadable)]) }
        index.orderByTime()
        let decoder = RecordJSON.foundationDecoder()
        try await TopicSnapshot.read(topics: [HubTopics.hubDeadLetterState.name], client: client, logger: logger) { record in
            guard let id = record.keyString else { return }
            index.apply(record.value.flatMap { try? decoder.decode(DeadLetterState.self, from: Data($0)) }, id: id)
        }
        return index
    }
}
