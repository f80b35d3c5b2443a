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

    @Test("a replayed technical failure is sent again; a replayed delivery or refusal is not; the new hand-over reopens it until its outcome")
    func replays() {
        var ledger = SendLedger()
        let failed = UUID(), delivered = UUID(), refused = UUID()
        ledger.record(receipt(failed, .sending))
        ledger.record(receipt(failed, .technicalFailure))
        ledger.record(receipt(delivered, .delivered))
        ledger.record(receipt(refused, .permanentFailure))
        #expect(ledger.decision(for: failed) == .done, "not replayed: the failure stands")
        #expect(ledger.decision(for: failed, replayed: true) == .resend)
        #expect(ledger.decision(for: delivered, replayed: true) == .done)
        #expect(ledger.decision(for: refused, replayed: true) == .done)
        #expect(ledger.decision(for: UUID(), replayed: true) == .send)
        var accepted = receipt(failed, .sending)
        accepted.reason = "gateway_accepted"
        ledger.record(accepted)
        #expect(ledger.decision(for: failed) == .done, "a gateway's late acceptance does not reopen it")
        ledger.record(receipt(failed, .sending))
        #expect(ledger.decision(for: failed, replayed: true) == .confirmFirst, "handed over again: a second replay asks first")
        #expect(ledger.outstanding == [failed])
        ledger.record(receipt(failed, .delivered))
        #expect(ledger.decision(for: failed, replayed: true) == .done)
    }

    @Test("outcomes are remembered for the memory at least and twice it at most; outstanding notices until their outcome")
    func memory() {
        let start = Date(timeIntervalSince1970: 1_000_000), day = 86_400.0
        var ledger = SendLedger(memory: 7 * day, now: start)
        let early = UUID(), late = UUID(), waiting = UUID()
        ledger.record(receipt(early, .delivered))
        ledger.record(receipt(waiting, .sending))
        #expect(ledger.forget(now: start.addingTimeInterval(6 * day)) == 0, "not a memory old yet")
        #expect(ledger.forget(now: start.addingTimeInterval(7 * day)) == 0, "a new generation; the first is kept")
        ledger.record(receipt(late, .delivered))
        #expect(ledger.decision(for: early) == .done && ledger.decision(for: late) == .done)
        #expect(ledger.forget(now: start.addingTimeInterval(13 * day)) == 0)
        #expect(ledger.forget(now: start.addingTimeInterval(14 * day)) == 1, "the first generation goes")
        #expect(ledger.decision(for: early) == .send, "forgotten after twice the memory")
        #expect(ledger.decision(for: late) == .done, "remembered for 7 days at least")
        #expect(ledger.decision(for: waiting) == .confirmFirst, "an outstanding notice is never forgotten")
        #expect(ledger.count == 2)
        ledger.record(receipt(late, .delivered))  // seen again: it moves to the current generation
        #expect(ledger.forget(now: start.addingTimeInterval(21 * day)) == 0)
        #expect(ledger.decision(for: late) == .done)
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

@Suite("Schedule book: notices held until their notBefore")
struct ScheduleBookTests {
    func notice(_ notBefore: Date?) -> Notice {
        let request = NotificationRequest(requestId: UUID(), clientKey: "c:k", representativeKey: nil, agency: "VID", caseId: "1", serviceId: "S",
                                          status: .accepted, step: nil, messageClass: .informational, occurredAt: Date(), link: nil)
        return Notice(notificationId: UUID(), channel: .sms, recipientKey: "c:k", role: .client, to: ["1"], messageClass: .informational,
                      carriesContent: true, language: "lv", templateId: "t", subject: nil, body: "b", notBefore: notBefore, request: request, createdAt: Date())
    }

    @Test("due notices come out earliest first and only once; a tombstone forgets one")
    func due() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var book = ScheduleBook()
        let late = notice(now.addingTimeInterval(60)), early = notice(now.addingTimeInterval(10)), later = notice(now.addingTimeInterval(3600))
        let forgotten = notice(now.addingTimeInterval(5))
        for held in [late, early, later, forgotten] { book.hold(held) }
        book.forget(forgotten.notificationId)
        #expect(book.takeDue(at: now).isEmpty)
        #expect(book.next == now.addingTimeInterval(10))
        #expect(book.takeDue(at: now.addingTimeInterval(61)).map(\.notificationId) == [early.notificationId, late.notificationId])
        #expect(book.takeDue(at: now.addingTimeInterval(61)).isEmpty)
        #expect(book.count == 1)
    }
}
