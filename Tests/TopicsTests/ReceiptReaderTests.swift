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
        var random = SplitMix64(seed: 11)
        let seeds = Self.seeds.map { JSONWriter.encode($0) }
        let alphabet = Array(#"{}[]:,"\ u0123456789abcdefnlrt-+.ZāT"#.utf8)
        var answered = 0
        for round in 0 ..< 6_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0 ... Int(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                default: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            guard let fast = Self.fast(bytes) else { continue }
            answered += 1
            #expect(fast == Self.slow(bytes), "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(answered > 500)
    }
}
