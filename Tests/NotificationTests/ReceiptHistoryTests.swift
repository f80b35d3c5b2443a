import Foundation
import Notifications
import Testing
import Topics

@Suite("A notice's receipt history")
struct ReceiptHistoryTests {
    static func receipt(_ id: UUID, _ status: NotificationReceipt.Status, reason: String? = nil, second: Double) -> NotificationReceipt {
        NotificationReceipt(notificationId: id, status: status, channel: .sms, recipientKey: "c:1", requestId: UUID(), agency: "VSAA",
                            caseId: "P-9", messageClass: .informational, reason: reason, at: Date(timeIntervalSince1970: second))
    }

    @Test("a delivery report written before the gateway-accepted receipt still reads after it; notices stay in order of first appearance")
    func order() {
        let sms = UUID(), email = UUID()
        // As read from notify.receipts: Kannel's report was written before the worker's transaction committed.
        let read = [
            Self.receipt(sms, .created, second: 1),
            Self.receipt(email, .created, second: 1),
            Self.receipt(sms, .sending, second: 2),
            Self.receipt(sms, .delivered, second: 3),
            Self.receipt(email, .sending, second: 2),
            Self.receipt(sms, .sending, reason: "accepted", second: 4),
            Self.receipt(email, .temporaryFailure, reason: "unconfirmed", second: 5),
            Self.receipt(email, .delivered, second: 6),
        ]
        let ordered = ReceiptHistory.ordered(read)
        #expect(ordered.map { [$0.notificationId == sms ? "sms" : "email", $0.status.rawValue, $0.reason ?? ""] } == [
            ["sms", "created", ""], ["sms", "sending", ""], ["sms", "sending", "accepted"], ["sms", "delivered", ""],
            ["email", "created", ""], ["email", "sending", ""], ["email", "temporary-failure", "unconfirmed"], ["email", "delivered", ""],
        ])
        #expect(NotificationReceipt.Status.allCases.allSatisfy { (0 ... 3).contains(ReceiptHistory.stage($0)) })
    }
}

@Suite("Finding a case's receipts without decoding every one")
struct ReceiptScanTests {
    @Test("receipts of the case or notification match, others do not; ids JSON may escape are not pre-filtered")
    func needles() throws {
        let id = UUID()
        let value = Array(#"{"agency":"VSAA","caseId":"P-77","notificationId":"\#(id.lowercasedString)","status":"created"}"#.utf8)
        let other = Array(#"{"agency":"VSAA","caseId":"P-771","notificationId":"\#(UUID().lowercasedString)","status":"created"}"#.utf8)
        let byCase = try #require(ReceiptHistory.needles(forCase: "VSAA/P-77"))
        #expect(ReceiptHistory.mentions(value, anyOf: byCase))
        #expect(!ReceiptHistory.mentions(other, anyOf: byCase))
        let byId = try #require(ReceiptHistory.needles(forNotification: id.uuidString))  // upper case as typed
        #expect(ReceiptHistory.mentions(value, anyOf: byId))
        #expect(!ReceiptHistory.mentions(other, anyOf: byId))
        // At the very start and end, alone, and in a value shorter than the needle.
        #expect(ReceiptHistory.mentions(Array(#""P-77""#.utf8), anyOf: byCase))
        #expect(ReceiptHistory.mentions(Array(#"x"P-7"P-77""#.utf8), anyOf: byCase))
        #expect(!ReceiptHistory.mentions(Array(#""P-7"#.utf8), anyOf: byCase))
        #expect(!ReceiptHistory.mentions([], anyOf: byCase))
        #expect(ReceiptHistory.needles(forCase: "VSAA/P\"1") == nil)
        #expect(ReceiptHistory.needles(forCase: "VSAA/lieta/7") == nil)
        #expect(ReceiptHistory.needles(forCase: "VSAA/Nr.ā-7") == nil)
        #expect(ReceiptHistory.needles(forCase: "VSAA") == nil)
    }
}
