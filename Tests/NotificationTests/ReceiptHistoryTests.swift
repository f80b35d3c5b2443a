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
