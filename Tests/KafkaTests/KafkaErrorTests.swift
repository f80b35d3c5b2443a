import Foundation
import Kafka
import Testing

@Suite("Errors and configuration of the Kafka layer")
struct KafkaErrorTests {
    @Test("an unknown librdkafka property is rejected, naming it")
    func unknownProperty() throws {
        var configuration = KafkaProducerConfiguration(client: TestKafka.client)
        configuration.client["no.such.property"] = "1"
        #expect {
            _ = try KafkaProducer(configuration: configuration, logger: TestKafka.logger)
        } throws: { error in
            (error as? KafkaError)?.message.contains("no.such.property") == true
        }
    }

    @Test("a broker that is not there fails a send with a retriable, coded error")
    func unreachableBroker() async throws {
        var configuration = KafkaProducerConfiguration(client: KafkaClientProperties(bootstrapServers: "127.0.0.1:1"))
        configuration.deliveryTimeoutMilliseconds = 1_500
        let producer = try KafkaProducer(configuration: configuration, logger: TestKafka.logger)
        do {
            _ = try await producer.send(KafkaProducerRecord(topic: "nowhere", key: nil, value: "x"))
            Issue.record("send to an unreachable broker succeeded")
        } catch {
            #expect(error.code != nil)
            #expect(error.name == "_MSG_TIMED_OUT")
            #expect(error.isRetriable)
        }
        await producer.close(flushTimeoutMilliseconds: 100)
    }

    @Test("the loaded librdkafka is at least 2.3")
    func libraryVersion() throws {
        #expect(KafkaLibrary.version >= KafkaLibrary.minimumVersion, "loaded \(KafkaLibrary.versionString)")
        try KafkaLibrary.requireSupportedVersion()
    }

    @Test("transactions on a plain producer are refused clearly")
    func notTransactional() throws {
        let producer = try TestKafka.producer()
        #expect(throws: KafkaError.self) { try producer.beginTransaction() }
    }

    @Test("the de-duplication window forgets the oldest id")
    func deduplicatorWindow() {
        var window = RecordDeduplicator(window: 2)
        let answers = ["a", "a", "b", "c", "a"].map { window.admit($0) }
        // The second "a" is a repeat; "c" evicts the first "a", so the last is new again.
        #expect(answers == [true, false, true, true, true])
        #expect(window.count == 2)
    }

    @Test("admin creates topics with configs and reports ones that exist")
    func adminCreate() async throws {
        let name = TestKafka.uniqueTopic("admin")
        let admin = try KafkaAdmin(client: TestKafka.client, logger: TestKafka.logger)
        let spec = KafkaTopicSpecification(name: name, partitions: 2, configs: ["cleanup.policy": "compact"])
        let first = try await admin.createTopics([spec])
        #expect(first[name] == .created)
        let second = try await admin.createTopics([spec])
        #expect(second[name] == .alreadyExists)
        #expect(try await admin.listTopics().contains(name))
        let description = try await admin.describeTopic(name)
        #expect(description?.partitions.count == 2)
        await admin.close()
    }
}
