import BrokerTestSupport
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import Testing
import Topics

/// The shared failure path in a running service, against the real broker:
/// retriable failures climb the ladder and come back when due, permanent
/// ones are dead-lettered at once, and nothing waits behind a retry.
@Suite("Retries and dead letters in a running service", .serialized)
struct RetryStageTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    /// Every call of the handler: value, attempt, topic and offset it was given, and when.
    final class Calls: @unchecked Sendable {
        struct Call { let value: String; let attempt: Int; let topic: String; let offset: Int64; let at: ContinuousClock.Instant }
        private let lock = NSLock()
        private var calls: [Call] = []
        func add(_ call: Call) { lock.withLock { calls.append(call) } }
        func of(_ value: String) -> [Call] { lock.withLock { calls.filter { $0.value == value } } }
    }

    func createTopics(_ names: [String]) async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics(names.map { KafkaTopicSpecification(name: $0, partitions: 1) }
            + (RetryLadder.topics + [HubTopics.hubDeadLetter.name]).map { KafkaTopicSpecification(name: $0, partitions: 3) })
        await admin.close()
    }

    @Test("transient failures retried on the ladder succeed; exhausted and permanent ones are dead-lettered with the documented headers")
    func ladder() async throws {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let input = "retrytest.\(tag).in", output = "retrytest.\(tag).out"
        try await createTopics([input, output])
        let routing = FailureRouting(service: "retry-test-\(tag)", ladder: try RetryLadder(parsing: "300ms,1s"), hubVersion: "test")
        let calls = Calls()
        let stage = HandlerStage(routing: routing, client: client, instance: "t-\(tag)", groupID: "retry-test-\(tag)",
                                 subscription: .topics([input]), crashes: nil, metrics: MetricsRegistry(), logger: logger) { record, attempt in
            let value = record.valueString ?? ""
            calls.add(.init(value: value, attempt: attempt, topic: record.topic, offset: record.offset, at: .now))
            switch value {
            case "flaky" where attempt <= 2, "always":
                throw RecordFailure(.retriable, code: "gateway_timeout", message: "the gateway did not answer in 5 s", stage: "send")
            case "bad":
                throw RecordFailure(.permanent, code: "gateway_rejected", message: "the gateway answered 400", stage: "send")
            default:
                return [KafkaProducerRecord(topic: output, key: record.key, value: record.value,
                                            headers: [KafkaHeader(key: "attempt", string: String(attempt))])]
            }
        }
        let shutdown = ShutdownSignal()
        let running = Task { try await stage.run(shutdown: shutdown) }

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        let values = ["flaky", "ok-1", "always", "bad", "ok-2"]
        _ = try await producer.sendAll(values.map {
            KafkaProducerRecord(topic: input, key: Array("k-\($0)".utf8), value: Array($0.utf8), headers: [KafkaHeader(key: "hub-event-id", string: "ev-\($0)")])
        })
        await producer.close()

        let outputs = try await readUntil(output, client: client, keep: { _ in true }, until: { $0.count >= 3 })
        let letters = try await readUntil(HubTopics.hubDeadLetter.name, client: client, keep: { $0.headers.string(FailureHeaderName.topic) == input },
                                     until: { $0.count >= 2 })
        shutdown.trigger()
        try await running.value

        #expect(outputs.map { $0.valueString ?? "" }.sorted() == ["flaky", "ok-1", "ok-2"])
        #expect(outputs.first { $0.valueString == "flaky" }?.headers.string("attempt") == "3")

        // The ladder: three calls, each after its delay, each given the original record.
        let flaky = calls.of("flaky")
        #expect(flaky.map(\.attempt) == [1, 2, 3])
        #expect(flaky.allSatisfy { $0.topic == input && $0.offset == 0 })
        if flaky.count == 3 {
            let first = (flaky[1].at - flaky[0].at).inSeconds, second = (flaky[2].at - flaky[1].at).inSeconds
            #expect(first >= 0.3 && first < 2.0, "first retry after \(first) s, configured 0.3 s")
            #expect(second >= 1.0 && second < 2.7, "second retry after \(second) s, configured 1 s")
        }
        // Nothing waited behind the retries.
        let ok2 = try #require(calls.of("ok-2").first)
        #expect(ok2.at < flaky[1].at, "ok-2 was handled before flaky's first retry")

        let always = try #require(letters.first { $0.valueString == "always" })
        #expect(calls.of("always").map(\.attempt) == [1, 2, 3])
        #expect(always.headers.string(FailureHeaderName.attempts) == "3")
        #expect(always.headers.string(FailureHeaderName.errorClass) == "retriable")
        #expect(always.headers.string(FailureHeaderName.code) == "gateway_timeout")
        #expect(always.headers.string(FailureHeaderName.offset) == "2", "the original offset, not the retry topic's")
        #expect(always.headers.string(FailureHeaderName.retryDue) == nil)
        let first = try #require(always.headers.string(FailureHeaderName.firstFailure).flatMap(RFC3339Timestamp.parse))
        let last = try #require(always.headers.string(FailureHeaderName.lastFailure).flatMap(RFC3339Timestamp.parse))
        #expect(last.timeIntervalSince(first) >= 1.3 - 0.01)

        let bad = try #require(letters.first { $0.valueString == "bad" })
        #expect(calls.of("bad").count == 1, "a permanent failure is not retried")
        let expected: [String: String] = [
            FailureHeaderName.topic: input, FailureHeaderName.partition: "0", FailureHeaderName.offset: "3",
            FailureHeaderName.service: routing.service, FailureHeaderName.stage: "send", FailureHeaderName.errorClass: "permanent",
            FailureHeaderName.code: "gateway_rejected", FailureHeaderName.message: "the gateway answered 400",
            FailureHeaderName.attempts: "1", FailureHeaderName.hubVersion: "test", "hub-event-id": "ev-bad",
        ]
        for (name, value) in expected { #expect(bad.headers.string(name) == value, "\(name)") }
        #expect(bad.keyString == "k-bad")
        #expect(bad.headers.string(FailureHeaderName.timestamp).flatMap { Int64($0) } != nil)
    }
}
