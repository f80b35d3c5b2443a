import Foundation
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

    /// Byte strings of which a receipt's JSON holds at least one when it is about the case `AGENCY/CASE_ID`
    /// (its `caseId` as a JSON string), so a scan of `notify.receipts` decodes only those; nil (decode
    /// every receipt) when the case id has a character JSON writers may escape.
    public static func needles(forCase key: String) -> [[UInt8]]? {
        guard let slash = key.firstIndex(of: "/") else { return nil }
        return quoted([String(key[key.index(after: slash)...])])
    }

    /// As `needles(forCase:)`, for a notification id (or a fallback's `fallbackTo`), in either case of hex digits.
    public static func needles(forNotification id: String) -> [[UInt8]]? {
        quoted([id.lowercased(), id.uppercased()])
    }

    /// Whether `value` contains one of `needles`.
    public static func mentions(_ value: [UInt8], anyOf needles: [[UInt8]]) -> Bool {
        value.withUnsafeBytes { haystack in
            needles.contains { needle in needle.withUnsafeBytes { contains(haystack, $0) } }
        }
    }

    /// memchr to each candidate first byte, memcmp for the rest.
    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard let needleStart = needle.baseAddress, needle.count > 0 else { return true }
        guard let start = haystack.baseAddress, haystack.count >= needle.count else { return false }
        let last = haystack.count - needle.count
        var offset = 0
        while offset <= last {
            guard let found = memchr(start + offset, Int32(needle[0]), last - offset + 1) else { return false }
            if memcmp(found, needleStart, needle.count) == 0 { return true }
            offset = start.distance(to: UnsafeRawPointer(found)) + 1
        }
        return false
    }

    private static func quoted(_ texts: [String]) -> [[UInt8]]? {
        let plain = texts.allSatisfy { text in
            !text.isEmpty && text.utf8.allSatisfy { $0 < 0x80 && ($0 >= 0x30 && $0 <= 0x39 || $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A || "-_.:".utf8.contains($0)) }
        }
        return plain ? texts.map { Array("\"\($0)\"".utf8) } : nil
    }
}
