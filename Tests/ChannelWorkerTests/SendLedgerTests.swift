import ChannelDelivery
import Foundation
import Testing
import Topics

@Suite("Send ledger: at most once per notification id")
struct SendLedgerTests {
    func receipt(_ id: UUID, _ status: NotificationReceipt.Status, at: Date = Date()) -> NotificationReceipt {
        NotificationReceipt(notificationId: id, status: status, channel: .eaddress, recipientKey: "c:x", requestId: UUID(), agency: "A", caseId: "1",
                            messageClass: .official, at: at)
    }

    @Test("never handed over: send; handed over without an outcome: confirm first; an outcome: done")
    func decisions() {
        var ledger = SendLedger()
        let fresh = UUID(), handed = UUID(), delivered = UUID(), refused = UUID()
        ledger.record(receipt(fresh, .created))
        ledger.record(receipt(handed, .sending))
        ledger.record(receipt(delivered, .sending))
        ledger.record(receipt(delivered, .delivered))
        ledger.record(receipt(refused, .permanentFailure))
        ledger.record(receipt(refused, .sending))  // a late duplicate `sending` does not reopen it
        #expect(ledger.decision(for: fresh) == .send)
        #expect(ledger.decision(for: handed) == .confirmFirst)
        #expect(ledger.decision(for: delivered) == .done)
        #expect(ledger.decision(for: refused) == .done)
        #expect(ledger.outstanding == [handed])
    }

    @Test("outstanding notices by when they were handed over, for the confirmation time-out")
    func outstanding() {
        var ledger = SendLedger()
        let old = UUID(), recent = UUID()
        ledger.record(receipt(old, .sending, at: Date(timeIntervalSinceNow: -7200)))
        ledger.record(receipt(recent, .sending, at: Date()))
        #expect(ledger.outstanding(handedBefore: Date(timeIntervalSinceNow: -3600)) == [old])
        ledger.record(receipt(old, .temporaryFailure))
        #expect(ledger.outstanding(handedBefore: Date(timeIntervalSinceNow: 1)) == [recent])
        #expect(ledger.decision(for: old) == .done)
    }
}
