import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka

/// Reads `topic` from its start until `done` holds for the records that pass `keep` (or 60 s).
func readUntil(_ topic: String, client: KafkaClientProperties, keep: @escaping (KafkaConsumerRecord) -> Bool,
               until done: ([KafkaConsumerRecord]) -> Bool) async throws -> [KafkaConsumerRecord] {
    let logger = Logger(component: "test", threshold: .error)
    let admin = try KafkaAdmin(client: client, logger: logger)
    let partitions = try await admin.partitions(of: [topic])
    await admin.close()
    var configuration = KafkaConsumerConfiguration(client: client, groupID: "check")
    configuration.enableAutoCommit = false
    let consumer = try KafkaConsumer(configuration: configuration, subscription: .partitionsFromStart(partitions), logger: logger)
    var found: [KafkaConsumerRecord] = []
    let deadline = ContinuousClock.now + .seconds(60)
    while !done(found), ContinuousClock.now < deadline {
        found += await consumer.nextBatch(max: 1_000, timeout: .milliseconds(200)).filter(keep)
    }
    await consumer.close()
    return found
}

/// Waits without blocking a cooperative thread (other tests share the pool).
func waitUntil(seconds: Double, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now > deadline { throw CancellationError() }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// The package root, where `.build/debug` holds the hub and the drill.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Starts a built executable with only the given `HUB_*`-free environment additions; its stderr goes to `log`.
func startChild(_ executable: String, arguments: [String] = [], environment extra: [String: String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = packageRoot.appendingPathComponent(".build/debug/\(executable)")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    // The hub refuses unknown HUB_* keys: pass on only the ones set here.
    for key in environment.keys where key.hasPrefix("HUB_") { environment[key] = nil }
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment.merging(extra) { $1 }
    process.standardOutput = FileHandle.nullDevice
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardError = FileHandle(forWritingAtPath: log)
    try process.run()
    return process
}

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

/// Every committed record of `topic` now.
func readAll(client: KafkaClientProperties, _ topic: String) async throws -> [KafkaConsumerRecord] {
    var records: [KafkaConsumerRecord] = []
    try await TopicSnapshot.read(topics: [topic], client: client, logger: Logger(component: "test", threshold: .warning)) { records.append($0) }
    return records
}
