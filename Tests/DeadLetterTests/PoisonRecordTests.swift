import BrokerTestSupport
import DeadLetters
import Foundation
import HubLogging
import Kafka
import LocalBroker
import Testing
import Topics

/// A record that crashes the service, with a real process crashing on it
/// and the test restarting it as a supervisor (systemd, Kubernetes) would.
@Suite("Poison records", .serialized)
struct PoisonRecordTests {
    let client = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)
    let logger = Logger(component: "test", threshold: .warning)

    @Test("a record that crashes the service is dead-lettered after three crashes, and its partition flows on")
    func poisonRecord() async throws {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let input = "poisontest.\(tag).in", output = "poisontest.\(tag).out"
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([KafkaTopicSpecification(name: input, partitions: 1), KafkaTopicSpecification(name: output, partitions: 1),
                                          KafkaTopicSpecification(name: HubTopics.hubDeadLetter.name, partitions: 3)])
        await admin.close()
        let values = (1 ... 5).map { "ok-\($0)" } + ["crash"] + (6 ... 10).map { "ok-\($0)" }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(values.map { KafkaProducerRecord(topic: input, partition: 0, key: Array("case-1".utf8), value: Array($0.utf8)) })
        await producer.close()

        let environment = ["DRILL_BOOTSTRAP": LocalBroker.testBootstrap, "DRILL_INPUT": input, "DRILL_OUTPUT": output,
                           "DRILL_INSTANCE": "poison-\(tag)", "DRILL_STATE_DIR": NSTemporaryDirectory() + "/poison-\(tag)"]
        var crashes = 0
        var running: Process?
        var outputs: [KafkaConsumerRecord] = []
        // The supervisor: restart after every crash, until the drill stays up.
        while running == nil, crashes < 6 {
            let drill = try startChild("failure-drill", environment: environment, log: "/tmp/poison-\(tag).log")
            outputs = try await readUntil(output, client: client, keep: { _ in true }, until: { $0.count >= 10 || !drill.isRunning })
            if outputs.count >= 10 { running = drill; break }
            try await waitUntil(seconds: 10) { !drill.isRunning }
            #expect(drill.terminationStatus != 0)
            crashes += 1
        }
        let drill = try #require(running, "the drill kept crashing")
        #expect(crashes == 3, "three crashes: the batch, then the record alone twice")

        #expect(outputs.map { $0.valueString ?? "" } == values.filter { $0 != "crash" }, "every other record, in order")
        let letters = try await readUntil(HubTopics.hubDeadLetter.name, client: client,
                                          keep: { $0.headers.string(FailureHeaderName.topic) == input }, until: { !$0.isEmpty })
        let letter = try #require(letters.first)
        #expect(letters.count == 1)
        #expect(letter.valueString == "crash" && letter.keyString == "case-1")
        #expect(letter.headers.string(FailureHeaderName.errorClass) == "poison")
        #expect(letter.headers.string(FailureHeaderName.code) == "crashed_service")
        #expect(letter.headers.string(FailureHeaderName.offset) == "5")
        #expect(letter.headers.string(FailureHeaderName.message)?.contains("3 times") == true)

        drill.terminate()
        try await waitUntil(seconds: 30) { !drill.isRunning }
        #expect(drill.terminationStatus == 0, "a clean stop after the poison record")
    }
}
