import Foundation
import HubLogging
import Kafka
import LocalBroker

/// The broker the integration tests use: `HUB_TEST_BOOTSTRAP` when set (as
/// `make test` does), else a Tansu started once for this test process.
enum TestKafka {
    static var bootstrap: String { LocalBroker.testBootstrap }

    static let logger = Logger(component: "test", threshold: .warning)

    static var client: KafkaClientProperties { KafkaClientProperties(bootstrapServers: bootstrap) }

    /// A topic name no other test uses.
    static func uniqueTopic(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func createTopic(_ name: String, partitions: Int32 = 3) async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        let result = try await admin.createTopics([KafkaTopicSpecification(name: name, partitions: partitions)])
        await admin.close()
        if case .failed(let error) = result[name] { throw error }
    }

    static func producer(transactionalID: String? = nil) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.transactionalID = transactionalID
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    static func consumerConfiguration(group: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: group)
        // Tansu's first join waits about session.timeout.ms / 2.
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.client["heartbeat.interval.ms"] = "500"
        configuration.client["topic.metadata.refresh.interval.ms"] = "1000"
        return configuration
    }

    static func consumer(group: String, topics: [String],
                         configure: (inout KafkaConsumerConfiguration) -> Void = { _ in },
                         onRebalance: (@Sendable (KafkaRebalanceEvent) -> Void)? = nil) throws -> KafkaConsumer {
        var configuration = consumerConfiguration(group: group)
        configure(&configuration)
        return try KafkaConsumer(configuration: configuration, subscription: .topics(topics), logger: logger,
                                 onRebalance: onRebalance)
    }
}

/// Reads until `count` records arrived or the time is up.
func collect(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30),
             store: Bool = true) async -> [KafkaConsumerRecord] {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var records: [KafkaConsumerRecord] = []
    while records.count < count, clock.now < deadline {
        let batch = await consumer.nextBatch(max: count - records.count, timeout: deadline - clock.now)
        if batch.isEmpty { continue }
        if store { try? consumer.store(batch) }
        records.append(contentsOf: batch)
    }
    return records
}
