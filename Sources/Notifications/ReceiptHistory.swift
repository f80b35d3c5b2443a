import Topics

/// The receipts of notices as `hub notify show|case` lists them: notices in order of first
/// appearance, and each notice's receipts in the order its life goes through them. One recipient's
/// receipts share a partition, so read order is write order; but a gateway's delivery report can be
/// written before the worker's transaction with the `sending` (gateway accepted) receipt commits,
/// and a notice reads `delivered` then `sending`. So within a notice the stages come in order
/// (made, held, handed over, an outcome) and read order decides within a stage.
public enum ReceiptHistory {
    /// 0: made (`created`, `undeliverable`); 1: held (`scheduled`); 2: with the gateway (`sending`);
    /// 3: an outcome (`delivered`, the failures, `fallback`).
    public static func stage(_ status: NotificationReceipt.Status) -> Int {
        switch status {
        case .created, .undeliverable: 0
        case .scheduled: 1
        case .sending: 2
        case .delivered, .temporaryFailure, .permanentFailure, .technicalFailure, .fallback: 3
        }
    }

    /// `receipts` in read order -> grouped by notice (first appearance), each notice's by stage, then read order.
    public static func ordered(_ receipts: [NotificationReceipt]) -> [NotificationReceipt] {
        func id(_ receipt: NotificationReceipt) -> String { receipt.notificationId?.lowercasedString ?? "-" }
        var firstSeen: [String: Int] = [:]
        for (index, receipt) in receipts.enumerated() where firstSeen[id(receipt)] == nil { firstSeen[id(receipt)] = index }
        return receipts.enumerated().sorted { a, b in
            let (x, y) = (firstSeen[id(a.element)]!, firstSeen[id(b.element)]!)
            if x != y { return x < y }
            let (p, q) = (stage(a.element.status), stage(b.element.status))
            return p != q ? p < q : a.offset < b.offset
        }.map(\.element)
    }
}
