import Foundation

/// Receipts read without `JSONDecoder`: a channel worker reads every receipt
/// of its channel when it starts (its ledger of sends), the fan-out reads
/// them all, and so do `hub notify show|case`. The common, valid receipt
/// only; anything unusual (an unknown member, a repeated one, a bad value)
/// gives nil and `JSONDecoder` decides, so errors stay as they were.
/// `JSONWriterEquivalenceTests` holds the two paths equal.
extension NotificationReceipt: JSONReadable {
    public static func read(json: UnsafeRawBufferPointer) -> NotificationReceipt? {
        var scanner = JSONScanner(json)
        var notificationId: UUID??, status: Status?, channel: NotifyChannel??, recipientKey: String?, requestId: UUID?
        var agency: String?, caseId: String?, messageClass: MessageClass?, reason: String??, gatewayReference: String??
        var fallbackTo: UUID??, notice: Notice??, invalidContacts: [String]??, at: Date?
        let complete = scanner.object { scanner, key in
            switch key {
            case "notificationId":
                guard notificationId == nil, let value = scanner.optional({ $0.uuid() }) else { return false }
                notificationId = value
            case "status":
                guard status == nil, let value = scanner.string().flatMap(Status.init(rawValue:)) else { return false }
                status = value
            case "channel":
                guard channel == nil, let value = scanner.optional({ $0.string().flatMap(NotifyChannel.init(rawValue:)) }) else { return false }
                channel = value
            case "recipientKey":
                guard recipientKey == nil, let value = scanner.string() else { return false }
                recipientKey = value
            case "requestId":
                guard requestId == nil, let value = scanner.uuid() else { return false }
                requestId = value
            case "agency":
                guard agency == nil, let value = scanner.string() else { return false }
                agency = value
            case "caseId":
                guard caseId == nil, let value = scanner.string() else { return false }
                caseId = value
            case "messageClass":
                guard messageClass == nil, let value = scanner.string().flatMap(MessageClass.init(rawValue:)) else { return false }
                messageClass = value
            case "reason":
                guard reason == nil, let value = scanner.optional({ $0.string() }) else { return false }
                reason = value
            case "gatewayReference":
                guard gatewayReference == nil, let value = scanner.optional({ $0.string() }) else { return false }
                gatewayReference = value
            case "fallbackTo":
                guard fallbackTo == nil, let value = scanner.optional({ $0.uuid() }) else { return false }
                fallbackTo = value
            case "notice":
                guard notice == nil, let value = scanner.optional({ Notice.read(&$0) }) else { return false }
                notice = value
            case "invalidContacts":
                guard invalidContacts == nil, let value = scanner.optional({ $0.strings() }) else { return false }
                invalidContacts = value
            case "at":
                guard at == nil, let value = scanner.timestamp() else { return false }
                at = value
            default:
                return false
            }
            return true
        }
        guard complete, scanner.atEnd(), let status, let recipientKey, let requestId, let agency, let caseId, let messageClass,
              let at else { return nil }
        return NotificationReceipt(notificationId: notificationId ?? nil, status: status, channel: channel ?? nil, recipientKey: recipientKey,
                                   requestId: requestId, agency: agency, caseId: caseId, messageClass: messageClass, reason: reason ?? nil,
                                   gatewayReference: gatewayReference ?? nil, fallbackTo: fallbackTo ?? nil, notice: notice ?? nil,
                                   invalidContacts: invalidContacts ?? nil, at: at)
    }
}
