/// Helpers the broker tests share: read a topic until a condition holds, wait
/// without blocking the cooperative pool, publish with kcat.
import Foundation
import LocalBroker
import HubLogging
import HubRuntime
import Kafka

/// Reads `topic` from its start until `done` holds for the records that pass `keep` (or 60 s).
public func readUntil(_ topic: String, client: KafkaClientProperties, seconds: Int = 60, keep: @escaping (KafkaConsumerRecord) -> Bool,
               until done: ([KafkaConsumerRecord]) -> Bool) async throws -> [KafkaConsumerRecord] {
    let logger = Logger(component: "test", threshold: .error)
    let admin = try KafkaAdmin(client: client, logger: logger)
    let partitions = try await admin.partitions(of: [topic])
    await admin.close()
    var configuration = KafkaConsumerConfiguration(client: client, groupID: "check")
    configuration.enableAutoCommit = false
    let consumer = try KafkaConsumer(configuration: configuration, subscription: .partitionsFromStart(partitions), logger: logger)
    var found: [KafkaConsumerRecord] = []
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !done(found), ContinuousClock.now < deadline {
        found += await consumer.nextBatch(max: 1_000, timeout: .milliseconds(200)).filter(keep)
    }
    await consumer.close()
    return found
}

/// Waits without blocking a cooperative thread (other tests share the pool).
public func waitUntil(seconds: Double, _ what: String = "the condition", file: String = #fileID, line: Int = #line,
                      _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now > deadline { throw WaitTimedOut(what: what, seconds: seconds, place: "\(file):\(line)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// `waitUntil` gave up: says what it waited for, how long, and where.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String, seconds: Double, place: String
    public var description: String { "waited \(seconds) s for \(what) (\(place)) in vain" }
}

/// Every committed record of `topic` now.
public func readAll(client: KafkaClientProperties, _ topic: String) async throws -> [KafkaConsumerRecord] {
    var records: [KafkaConsumerRecord] = []
    try await TopicSnapshot.read(topics: [topic], client: client, logger: Logger(component: "test", threshold: .warning)) { records.append($0) }
    return records
}

/// Sends `key|value` lines with kcat, a client no one here wrote.
public func kcat(_ lines: [String], topic: String) async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
    process.arguments = ["-b", LocalBroker.testBootstrap, "-P", "-t", topic, "-K", "|"]
    let input = Pipe()
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    try input.fileHandleForWriting.close()
    try await waitUntil(seconds: 30) { !process.isRunning }
    guard process.terminationStatus == 0 else { throw KcatFailed(status: process.terminationStatus) }
}

public struct KcatFailed: Error { public let status: Int32 }

/// The package root, where `.build/debug` holds the hub and the drill.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Starts a built executable with only the given `HUB_*`-free environment additions; its stderr goes to `log`.
public func startChild(_ executable: String, arguments: [String] = [], environment extra: [String: String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = packageRoot.appendingPathComponent(".build/debug/\(executable)")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    // The hub refuses unknown HUB_* keys: pass on only the ones set here.
    for key in environment.keys where key.hasPrefix("HUB_") { environment[key] = nil }
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment.merging(extra) { $1 }
    // Output and errors both go to the log, so a child that ends early says why.
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let output = FileHandle(forWritingAtPath: log)
    process.standardOutput = output
    process.standardError = output
    try process.run()
    return process
}


/// Runs `service` while `body` runs (after `ready`, when given, says it is ready), then shuts it down and
/// waits for it; a failure of `body` still stops the service first.
public func whileRunning<T>(_ service: any HubService, ready: (@Sendable () -> Bool)? = nil, _ body: () async throws -> T) async throws -> T {
    let shutdown = ShutdownSignal()
    let running = Task { try await service.run(shutdown: shutdown) }
    let result: T
    do {
        if let ready { try await waitUntil(seconds: 60, "\(service.name) to be ready", ready) }
        result = try await body()
    } catch {
        shutdown.trigger()
        try? await running.value
        throw error
    }
    shutdown.trigger()
    try await running.value
    return result
}
