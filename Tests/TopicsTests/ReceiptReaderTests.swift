import Foundation
import Testing
import Topics

@Suite("Receipt reader agrees with JSONDecoder")
struct ReceiptReaderTests {
    static let request = NotificationRequest(
        requestId: UUID(text: "5b1e0c7a-9d2f-4e3b-8a61-0f2c3d4e5f60")!, clientKey: "c:0123456789abcdef0123456789abcdef", representativeKey: nil,
        agency: "VSAA", caseId: "P-1", serviceId: "VSAA-PENS", status: .completed, step: nil, messageClass: .official,
        occurredAt: Date(timeIntervalSince1970: 1_740_000_000.25), link: nil)
    static let notice = Notice(
        notificationId: UUID(text: "0c7a5b1e-9d2f-4e3b-8a61-0f2c3d4e5f61")!, channel: .sms, recipientKey: request.clientKey, role: .client,
        to: ["+37120000001"], messageClass: .official, carriesContent: true, language: "lv", templateId: "*/completed/sms/lv",
        subject: nil, body: "Lietā pieņemts lēmums.", smsSegments: 1, smsEncoding: "ucs2", request: request,
        createdAt: Date(timeIntervalSince1970: 1_740_000_001.5))
    static let seeds: [NotificationReceipt] = [
        NotificationReceipt(notificationId: notice.notificationId, status: .sending, channel: .push, recipientKey: request.clientKey,
                            requestId: request.requestId, agency: "VSAA", caseId: "P-1", messageClass: .official, reason: "accepted",
                            gatewayReference: "push-1", at: Date(timeIntervalSince1970: 1_740_000_002.125)),
        NotificationReceipt(notificationId: notice.notificationId, status: .permanentFailure, channel: .sms, recipientKey: request.clientKey,
                            requestId: request.requestId, agency: "VSAA", caseId: "P-1", messageClass: .official, reason: "refused",
                            notice: notice, invalidContacts: ["sha256:0123456789abcdef"], at: Date(timeIntervalSince1970: 1_740_000_003)),
    ]

    static func fast(_ bytes: [UInt8]) -> NotificationReceipt? { bytes.withUnsafeBytes { NotificationReceipt.read(json: $0) } }
    static func slow(_ bytes: [UInt8]) -> NotificationReceipt? { try? RecordJSON.foundationDecoder().decode(NotificationReceipt.self, from: Data(bytes)) }

    @Test("the seeds read the same both ways")
    func seedsRead() {
        for receipt in Self.seeds {
            let bytes = JSONWriter.encode(receipt)
            #expect(Self.fast(bytes) == receipt)
            #expect(Self.slow(bytes) == receipt)
        }
    }

    @Test("mutated receipts: whenever the reader answers, the decoder agrees")
    func mutations() {
        let answered = mutatedReadsAgree(seeds: Self.seeds.map { JSONWriter.encode($0) }, seed: 11, fast: Self.fast, slow: Self.slow)
        #expect(answered > 500)
    }
}
