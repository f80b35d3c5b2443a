import Foundation
import HubLogging
import Kafka
import LocalBroker
import Topics

/// What the channel workers' tests share: the topics a worker needs, notices published to its
/// topic, and the receipts of one test's notices (by case id prefix: other suites write there too).
public struct ChannelTesting: Sendable {
    public let channel: NotifyChannel
    public let client: KafkaClientProperties
    let logger = Logger(component: "test", threshold: .warning)

    public init(_ channel: NotifyChannel, client: KafkaClientProperties = KafkaClientProperties(bootstrapServers: LocalBroker.testBootstrap)) {
        self.channel = channel
        self.client = client
    }

    public func prepare() async throws {
        let admin = try KafkaAdmin(client: client, logger: logger)
        let topics = HubTopics.all.filter { [channel.topic, HubTopics.notifyReceipts.name, HubTopics.hubDeadLetter.name, HubTopics.hubRetry10s.name,
                                             HubTopics.hubRetry1m.name, HubTopics.hubRetry10m.name].contains($0.name) }
        _ = try await admin.createTopics(topics.map { KafkaTopicSpecification(name: $0.name, partitions: Int32($0.partitions)) })
        await admin.close()
    }

    public func publish(_ notices: [Notice]) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(try notices.map {
            KafkaProducerRecord(topic: channel.topic, key: Array($0.recipientKey.utf8), value: Array(try RecordJSON.encode($0)))
        })
        await producer.close()
    }

    /// Receipts of notices whose case id starts with `tag-`, read until `done` holds (or `seconds` pass).
    public func receipts(about tag: String, seconds: Int = 60, until done: @escaping ([NotificationReceipt]) -> Bool) async throws -> [NotificationReceipt] {
        try await readUntil(HubTopics.notifyReceipts.name, client: client, seconds: seconds,
                            keep: { record in Self.receipt(record)?.caseId.hasPrefix("\(tag)-") == true },
                            until: { done($0.compactMap(Self.receipt)) }).compactMap(Self.receipt)
    }

    public static func receipt(_ record: KafkaConsumerRecord) -> NotificationReceipt? {
        record.value.flatMap { try? RecordJSON.decode(NotificationReceipt.self, from: Data($0)) }
    }

    /// Each notice's last final receipt.
    public static func final(_ receipts: [NotificationReceipt]) -> [UUID: NotificationReceipt] {
        var final: [UUID: NotificationReceipt] = [:]
        for receipt in receipts where [.delivered, .permanentFailure, .technicalFailure].contains(receipt.status) {
            if let id = receipt.notificationId { final[id] = receipt }
        }
        return final
    }
}
