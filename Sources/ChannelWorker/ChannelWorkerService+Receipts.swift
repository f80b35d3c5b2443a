import ChannelDelivery
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Topics

/// The receipts a channel worker writes to `notify.receipts`, and the notices it reads.
extension ChannelWorkerService {
    static func notice(in record: KafkaConsumerRecord) -> Notice? {
        record.value.flatMap { try? RecordJSON.decode(Notice.self, from: $0) }
    }

    static func receipt(_ status: NotificationReceipt.Status, for notice: Notice, reason: String?, reference: String?,
                        at: Date = Date()) -> (value: NotificationReceipt, record: KafkaProducerRecord) {
        let value = NotificationReceipt(notificationId: notice.notificationId, status: status, channel: notice.channel, recipientKey: notice.recipientKey,
                                        requestId: notice.request.requestId, agency: notice.request.agency, caseId: notice.request.caseId,
                                        messageClass: notice.messageClass, reason: reason, gatewayReference: reference, at: at)
        return (value, receiptRecord(value))
    }

    static func follow(_ earlier: NotificationReceipt, _ status: NotificationReceipt.Status, reason: String?, reference: String?, at: Date) -> NotificationReceipt {
        var next = earlier
        next.status = status
        next.reason = reason
        next.gatewayReference = reference ?? earlier.gatewayReference
        next.notice = nil
        next.at = at
        return next
    }

    static func receiptRecord(_ receipt: NotificationReceipt) -> KafkaProducerRecord {
        KafkaProducerRecord(topic: HubTopics.notifyReceipts.name, key: Array(receipt.recipientKey.utf8), value: (try? RecordJSON.bytes(receipt)) ?? [],
                            headers: receiptHeaders(receipt.channel) + [KafkaHeader(key: EnvelopeHeaderName.eventId, string: UUID.random().lowercasedString)])
    }

    /// A receipt's headers other than its event id, the same for every receipt of a channel, made once.
    private static func receiptHeaders(_ channel: NotifyChannel?) -> [KafkaHeader] {
        channel.flatMap { headersByChannel[$0] } ?? headers(source: "hub/channel-")
    }

    private static let headersByChannel = Dictionary(uniqueKeysWithValues: NotifyChannel.allCases.map { ($0, headers(source: "hub/channel-\($0.rawValue)")) })

    private static func headers(source: String) -> [KafkaHeader] {
        [KafkaHeader(key: EnvelopeHeaderName.schemaId, string: "notification-receipt"), KafkaHeader(key: EnvelopeHeaderName.schemaVersion, string: "1"),
         KafkaHeader(key: EnvelopeHeaderName.source, string: source)]
    }
}
