import Foundation
import HubLogging
import Kafka

/// Reads `topic` from its start until `done` holds for the records that pass `keep` (or 60 s).
func readUntil(_ topic: String, client: KafkaClientProperties, keep: @escaping (KafkaConsumerRecord) -> Bool,
               until done: ([KafkaConsumerRecord]) -> Bool) async throws -> [KafkaConsumerRecord] {
    var configuration = KafkaConsumerConfiguration(client: client, groupID: "check-\(UUID().uuidString.prefix(8))")
    configuration.enableAutoCommit = false
    configuration.revokeGraceMilliseconds = 0
    let consumer = try KafkaConsumer(configuration: configuration, subscription: .topics([topic]),
                                     logger: Logger(component: "test", threshold: .error))
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
