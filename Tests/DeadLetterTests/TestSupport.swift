import BrokerTestSupport
import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka

/// Writes `count` dead letters from `origin` partition 0, half `bad_a` and half `bad_b`, each with event id `ev-<n>`.
func writeDeadLetters(origin: String, count: Int, client: KafkaClientProperties) async throws {
    let logger = Logger(component: "test", threshold: .warning)
    try await DeadLetterStore.ensureTopics(client: client, logger: logger)
    let admin = try KafkaAdmin(client: client, logger: logger)
    _ = try await admin.createTopics([KafkaTopicSpecification(name: origin, partitions: 2)])
    await admin.close()
    let routing = FailureRouting(service: "test-service", ladder: .none, hubVersion: "test")
    let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
    let records = (0 ..< count).map { index in
        let source = KafkaConsumerRecord(topic: origin, partition: 0, offset: Int64(index), key: Array("k\(index)".utf8),
                                         value: Array(#"{"n":\#(index)}"#.utf8), headers: [KafkaHeader(key: "hub-event-id", string: "ev-\(index)")],
                                         timestampMilliseconds: nil)
        return routing.route(source, failure: RecordFailure(.permanent, code: index % 2 == 0 ? "bad_a" : "bad_b", message: "test", stage: "s"))
    }
    _ = try await producer.sendAll(records)
    await producer.close()
}

/// The records of `topic` once at least `count` are readable (at most 90 s). On Tansu a committed transaction can
/// stay unreadable for a while: its commit is parked while another producer's transaction on a shared partition
/// (`hub.deadletter.state`, `hub.audit`) is open, until a later commit there completes it. Apache Kafka shows it at once.
func readAtLeast(_ count: Int, of topic: String, client: KafkaClientProperties) async throws -> [KafkaConsumerRecord] {
    try await readUntil(topic, client: client, seconds: 90, keep: { _ in true }, until: { $0.count >= count })
}

/// The dead-letter index once `ready` holds (at most 60 s). A read_committed snapshot ends at the last stable
/// offset: while another suite's transaction on the shared dead-letter topics is open, letters written after
/// it begins are not visible yet, however committed they are themselves.
func loadIndex(client: KafkaClientProperties, until ready: (DeadLetterIndex) -> Bool) async throws -> DeadLetterIndex {
    let logger = Logger(component: "test", threshold: .warning)
    let deadline = ContinuousClock.now + .seconds(60)
    var index = try await DeadLetterStore.load(client: client, logger: logger)
    while !ready(index), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(250))
        index = try await DeadLetterStore.load(client: client, logger: logger)
    }
    return index
}
