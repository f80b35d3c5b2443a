import Foundation
import HubLogging
import Kafka
import LocalBroker
import Testing

/// SIGTERM during a busy consume -> produce loop: the relay finishes the
/// batch in hand, commits and exits 0; started again it continues where it
/// stopped. Afterwards the output is exactly the input.
@Suite("Graceful shutdown of a real hub process")
struct GracefulShutdownTests {
    @Test("SIGTERM mid-stream: afterwards output = input, nothing lost, nothing doubled")
    func sigtermDuringRelay() async throws {
        let bootstrap = RuntimeTestKafka.bootstrap
        let client = KafkaClientProperties(bootstrapServers: bootstrap)
        let tag = UUID().uuidString.prefix(8).lowercased()
        let input = "sigterm-in-\(tag)", output = "sigterm-out-\(tag)"
        let admin = try KafkaAdmin(client: client, logger: RuntimeTestKafka.logger)
        _ = try await admin.createTopics([input, output].map { KafkaTopicSpecification(name: $0, partitions: 3) })
        await admin.close()
        let total = 20_000, head = 1_000
        // The first 1,000 records wait for the relay; the rest arrive once it runs (500 every 100 ms, about 4 s),
        // so the stop always comes mid-stream: with all of it waiting up front, a fast relay could finish the
        // lot between the reader's count and the signal.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: RuntimeTestKafka.logger)
        func publish(_ range: Range<Int>) async throws {
            _ = try await producer.sendAll(range.map { KafkaProducerRecord(topic: input, key: "k\($0 % 100)", value: "\($0)") })
        }
        try await publish(0 ..< head)

        var readerConfiguration = KafkaConsumerConfiguration(client: client, groupID: "reader-\(tag)")
        readerConfiguration.sessionTimeoutMilliseconds = 6_000
        let reader = try KafkaConsumer(configuration: readerConfiguration, subscription: .topics([output]), logger: RuntimeTestKafka.logger)
        let received = ReceivedValues()
        let reading = Task {
            while let batch = Optional(await reader.nextBatch(max: 1_000)), !batch.isEmpty {
                received.add(batch.map { Int($0.valueString!)! })
            }
        }

        let arguments = ["relay", "--from", input, "--to", output, "--group", "relay-\(tag)", "--batch", "200"]
        let first = try startHub(arguments, bootstrap: bootstrap)
        try await waitFor(timeout: .seconds(60)) { received.count >= head / 2 }
        let publishing = Task {
            for start in stride(from: head, to: total, by: 500) {
                try await publish(start ..< start + 500)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        try await waitFor(timeout: .seconds(60)) { received.count >= 3_000 }
        kill(first.processIdentifier, SIGTERM)
        try await waitForExit(first, timeout: .seconds(30))
        #expect(first.terminationReason == .exit && first.terminationStatus == 0, "stopped cleanly")
        let afterFirst = received.count
        #expect(afterFirst < total, "the stop came mid-stream")

        let second = try startHub(arguments, bootstrap: bootstrap)
        try await publishing.value
        await producer.close()
        try await waitFor(timeout: .seconds(90)) { received.count >= total }
        try await Task.sleep(for: .seconds(2))  // any duplicate would arrive now
        kill(second.processIdentifier, SIGTERM)
        try await waitForExit(second, timeout: .seconds(30))
        #expect(second.terminationStatus == 0)
        reader.stopFetching()
        _ = await reading.value
        await reader.close()

        let values = received.values
        #expect(values.count == total, "no duplicates: \(values.count - Set(values).count) repeated")
        #expect(Set(values) == Set(0..<total), "nothing lost")
    }
}

final class ReceivedValues: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func add(_ more: [Int]) { lock.lock(); stored.append(contentsOf: more); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return stored.count }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return stored }
}

enum RuntimeTestKafka {
    static let logger = Logger(component: "test", threshold: .warning)
    static var bootstrap: String { LocalBroker.testBootstrap }

    /// Creates a topic no other test uses and returns its name.
    static func newTopic(_ prefix: String, partitions: Int32) async throws -> String {
        let topic = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try KafkaAdmin(client: KafkaClientProperties(bootstrapServers: bootstrap), logger: logger)
        _ = try await admin.createTopics([KafkaTopicSpecification(name: topic, partitions: partitions)])
        await admin.close()
        return topic
    }
}

/// The hub executable built beside the tests.
func hubExecutable() -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/hub").path
}

func startHub(_ arguments: [String], bootstrap: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: hubExecutable())
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["HUB_BOOTSTRAP_SERVERS"] = bootstrap
    environment["HUB_LOG_LEVEL"] = "warning"
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

func waitFor(timeout: Duration, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw TimedOut() }
        try await Task.sleep(for: .milliseconds(50))
    }
}

func waitForExit(_ process: Process, timeout: Duration) async throws {
    try await waitFor(timeout: timeout) { !process.isRunning }
}

struct TimedOut: Error {}
