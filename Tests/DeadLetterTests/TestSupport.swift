import BrokerTestSupport
import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka

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
