import ChannelDelivery
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Synchronization
import Topics

/// The receipts a channel worker writes to `notify.receipts`, and the notices it reads.
extension ChannelWorkerService {
    /// The notice a record carries: the hand-written reader on the record's own bytes, `JSONDecoder` where it gives up.
    static func notice(in record: KafkaConsumerRecord) -> Notice? {
        guard let value = record.value else { return nil }
        return value.withUnsafeBytes { Notice.read(json: $0) } ?? (try? RecordJSON.decode(Notice.self, from: Data(value)))
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
        switch channel {
        case .eaddress?: eaddressHeaders
        case .sms?: smsHeaders
        case .email?: emailHeaders
        case .push?: pushHeaders
        case nil: headers(source: "hub/channel-")
        }
    }

    private static let eaddressHeaders = headers(source: "hub/channel-\(NotifyChannel.eaddress.rawValue)")
    private static let smsHeaders = headers(source: "hub/channel-\(NotifyChannel.sms.rawValue)")
    private static let emailHeaders = headers(source: "hub/channel-\(NotifyChannel.email.rawValue)")
    private static let pushHeaders = headers(source: "hub/channel-\(NotifyChannel.push.rawValue)")

    private static func headers(source: String) -> [KafkaHeader] {
        [KafkaHeader(key: EnvelopeHeaderName.schemaId, string: "notification-receipt"), KafkaHeader(key: EnvelopeHeaderName.schemaVersion, string: "1"),
         KafkaHeader(key: EnvelopeHeaderName.source, string: source)]
    }
}
