import Foundation
import Testing
@testable import Topics

/// Each hand-written `JSONWritable` conformance must give the bytes
/// `JSONEncoder` gives for the same value's `Codable` form (sorted keys,
/// unescaped slashes, RFC 3339 dates), ids aside: the writer spells them in
/// lowercase, Foundation's `UUID` encoding in uppercase.
@Suite struct JSONWriterEquivalenceTests {
    private func foundationBytes(_ value: some Encodable) throws -> String {
        let text = String(decoding: try RecordJSON.foundationEncoder().encode(value), as: UTF8.self)
        // Lowercase every id Foundation wrote in uppercase.
        let pattern = try NSRegularExpression(pattern: "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
        var result = text
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let range = Range(match.range, in: result)!
            result.replaceSubrange(range, with: result[range].lowercased())
        }
        return result
    }

    private func writerBytes(_ value: some JSONWritable) -> String {
        String(decoding: JSONWriter.encode(value), as: UTF8.self)
    }

    private static let tricky = "Quote \" backslash \\ slash / tab \t newline \n bell \u{07} Latvian āčēģīķļņšūž 😀"

    private static func states() -> [CaseState] {
        let t0 = RFC3339Timestamp.parse("2025-03-01T10:00:00+02:00")!
        let full = CaseState(
            agency: "VID", caseId: "VID/2025/\(tricky)", serviceId: "vid-income-declaration", channel: .eservice, status: .inProgress,
            step: "review", iteration: 2, openedAt: t0, lastEventAt: t0.addingTimeInterval(86_400.25), lastEventId: UUID.random(),
            periods: [StepPeriod(key: "submitted", status: .submitted, enteredAt: t0, leftAt: t0.addingTimeInterval(3600.5)),
                      StepPeriod(key: "review", status: .inProgress, enteredAt: t0.addingTimeInterval(3600.5))],
            elapsedSeconds: 86_400.25, expectedDays: 2.5, legalMaximumDays: 30, slaBreached: true,
            forecastRemainingSeconds: 1e20, recentEventIds: [UUID.random(), UUID.random()])
        var sparse = full
        sparse.step = nil
        sparse.expectedDays = nil
        sparse.legalMaximumDays = nil
        sparse.forecastRemainingSeconds = nil
        sparse.periods = []
        sparse.recentEventIds = []
        sparse.elapsedSeconds = 0
        sparse.slaBreached = false
        return [full, sparse]
    }

    @Test func caseStatesMatchJSONEncoder() throws {
        for state in Self.states() {
            #expect(writerBytes(state) == (try foundationBytes(state)))
            #expect(try RecordJSON.decode(CaseState.self, from: Data(JSONWriter.encode(state))) == state)
        }
    }

    @Test func recordBytesAreEncodesBytes() throws {
        for state in Self.states() {
            #expect(try RecordJSON.bytes(state) == Array(try RecordJSON.encode(state)))
            #expect(try TopicValueCodec.bytes(StatusEvent.example) == Array(try TopicValueCodec.encode(StatusEvent.example)))
        }
        // A value without a writer goes through JSONEncoder either way.
        let catalogue = ServiceDefinition(serviceId: "VID-1", ownerAgency: "VID", names: LocalizedText(lv: "Deklarācija", en: "Declaration"),
                                          expectedDays: 5, legalMaximumDays: 30)
        #expect(catalogue as Any as? any JSONWritable == nil)
        #expect(try RecordJSON.bytes(catalogue) == Array(try RecordJSON.encode(catalogue)))
    }

    @Test func statusEventsMatchJSONEncoder() throws {
        var sparse = StatusEvent.example
        sparse.step = nil
        sparse.client = nil
        sparse.representative = nil
        sparse.result = CaseResult(decision: nil, reason: Self.tricky, link: nil)
        sparse.note = Self.tricky
        for event in [StatusEvent.example, sparse] {
            #expect(writerBytes(event) == (try foundationBytes(event)))
            #expect(try TopicValueCodec.decode(StatusEvent.self, from: Data(JSONWriter.encode(event)), version: 1) == event)
        }
    }

    @Test func notificationRequestsMatchJSONEncoder() throws {
        let full = NotificationRequest(
            requestId: UUID.random(), clientKey: "c:0123456789abcdef0123456789abcdef", representativeKey: "c:fedcba9876543210fedcba9876543210",
            agency: "VSAA", caseId: "A-1", serviceId: "vsaa-pension", status: .completed, step: "decision",
            messageClass: .official, occurredAt: Date(timeIntervalSince1970: 1_740_000_000.5), link: "https://example.lv/a?b=c&d=/e")
        var sparse = full
        sparse.representativeKey = nil
        sparse.step = nil
        sparse.link = nil
        for request in [full, sparse] {
            #expect(writerBytes(request) == (try foundationBytes(request)))
            #expect(try RecordJSON.decode(NotificationRequest.self, from: Data(JSONWriter.encode(request))) == request)
            // The hand-written reader answers, and agrees with JSONDecoder.
            let bytes = JSONWriter.encode(request)
            #expect(bytes.withUnsafeBytes { NotificationRequest.read(json: $0) } == request)
            #expect(try RecordJSON.foundationDecoder().decode(NotificationRequest.self, from: Data(bytes)) == request)
        }
        // Where the reader gives up, JSONDecoder decides: an unknown member is ignored, a bad value refused.
        let extra = #"{"agency":"VSAA","caseId":"A","clientKey":"c:1","messageClass":"official","occurredAt":"2026-01-01T00:00:00Z","requestId":"6f1c2b9e-0d3a-4c55-9a8e-2b7f4e1d9c01","serviceId":"S","status":"completed","x":1}"#
        #expect(Array(extra.utf8).withUnsafeBytes { NotificationRequest.read(json: $0) } == nil)
        #expect(try RecordJSON.decode(NotificationRequest.self, from: Data(extra.utf8)).caseId == "A")
        #expect(throws: (any Error).self) { try RecordJSON.decode(NotificationRequest.self, from: Data(extra.replacingOccurrences(of: "official", with: "urgent").utf8)) }
    }

    @Test func noticesAndReceiptsMatchJSONEncoder() throws {
        let request = NotificationRequest(
            requestId: UUID.random(), clientKey: "c:0123456789abcdef0123456789abcdef", representativeKey: nil, agency: "VSAA", caseId: Self.tricky,
            serviceId: "VSAA-PENS", status: .accepted, step: nil, messageClass: .informational, occurredAt: Date(timeIntervalSince1970: 1_740_000_000.25), link: nil)
        let full = Notice(notificationId: UUID.random(), channel: .sms, recipientKey: request.clientKey, role: .representative,
                          to: ["+37120000001", Self.tricky], messageClass: .informational, carriesContent: true, language: "lv",
                          templateId: "*/accepted/sms/lv", subject: Self.tricky, body: Self.tricky, smsSegments: 2, smsEncoding: "ucs2",
                          notBefore: Date(timeIntervalSince1970: 1_740_000_600), fallbackFrom: UUID.random(), triedChannels: [.eaddress, .push],
                          request: request, createdAt: Date(timeIntervalSince1970: 1_740_000_001.5))
        let sparse = Notice(notificationId: UUID.random(), channel: .eaddress, recipientKey: request.clientKey, role: .client, to: [],
                            messageClass: .official, carriesContent: false, language: "en", templateId: "x", subject: nil, body: "",
                            request: request, createdAt: Date(timeIntervalSince1970: 0))
        for notice in [full, sparse] {
            #expect(writerBytes(notice) == (try foundationBytes(notice)))
            #expect(try RecordJSON.decode(Notice.self, from: Data(JSONWriter.encode(notice))) == notice)
            // The hand-written reader answers, and agrees with JSONDecoder, on the writer's bytes and Foundation's.
            let bytes = JSONWriter.encode(notice)
            #expect(bytes.withUnsafeBytes { Notice.read(json: $0) } == notice)
            let foundation = try RecordJSON.foundationEncoder().encode(notice)
            #expect(foundation.withUnsafeBytes { Notice.read(json: $0) } == notice)
            #expect(try RecordJSON.foundationDecoder().decode(Notice.self, from: Data(bytes)) == notice)
        }
        // Nulls for the optional members read as absent ones do.
        var nulls = String(decoding: JSONWriter.encode(sparse), as: UTF8.self)
        nulls.removeLast()
        nulls += #","fallbackFrom":null,"notBefore":null,"smsEncoding":null,"smsSegments":null,"subject":null}"#
        #expect(Array(nulls.utf8).withUnsafeBytes { Notice.read(json: $0) } == sparse)
        #expect(try RecordJSON.foundationDecoder().decode(Notice.self, from: Data(nulls.utf8)) == sparse)
        // Where the reader is not sure it gives up, and JSONDecoder decides: a fraction where an integer belongs,
        // an unknown channel in triedChannels, a repeated member, an unknown one.
        let text = String(decoding: JSONWriter.encode(full), as: UTF8.self)
        for odd in [text.replacingOccurrences(of: #""smsSegments":2"#, with: #""smsSegments":2.0"#),
                    text.replacingOccurrences(of: #""triedChannels":["eaddress","push"]"#, with: #""triedChannels":["eaddress","fax"]"#),
                    text.replacingOccurrences(of: #""role":"representative""#, with: #""role":"representative","role":"client""#),
                    text.replacingOccurrences(of: #""role":"representative""#, with: #""role":"representative","x":[1,true]"#)] {
            #expect(odd != text)
            #expect(Array(odd.utf8).withUnsafeBytes { Notice.read(json: $0) } == nil, "\(odd.prefix(60))")
        }
        #expect(throws: (any Error).self) {
            try RecordJSON.decode(Notice.self, from: Data(text.replacingOccurrences(of: #""push"]"#, with: #""fax"]"#).utf8))
        }
        let receipts = [
            NotificationReceipt(notificationId: UUID.random(), status: .fallback, channel: .sms, recipientKey: request.clientKey, requestId: request.requestId,
                                agency: "VSAA", caseId: Self.tricky, messageClass: .official, reason: Self.tricky, gatewayReference: "gw-1",
                                fallbackTo: UUID.random(), notice: full, at: Date(timeIntervalSince1970: 1_740_000_002.125)),
            NotificationReceipt(notificationId: nil, status: .technicalFailure, channel: nil, recipientKey: request.clientKey, requestId: request.requestId,
                                agency: "VSAA", caseId: "A", messageClass: .informational, at: Date(timeIntervalSince1970: 1)),
        ]
        for receipt in receipts {
            #expect(writerBytes(receipt) == (try foundationBytes(receipt)))
            #expect(try RecordJSON.decode(NotificationReceipt.self, from: Data(JSONWriter.encode(receipt))) == receipt)
            // The hand-written reader answers, and agrees with JSONDecoder, on the writer's bytes and Foundation's.
            let bytes = JSONWriter.encode(receipt)
            #expect(bytes.withUnsafeBytes { NotificationReceipt.read(json: $0) } == receipt)
            #expect(try RecordJSON.foundationEncoder().encode(receipt).withUnsafeBytes { NotificationReceipt.read(json: $0) } == receipt)
            #expect(try RecordJSON.foundationDecoder().decode(NotificationReceipt.self, from: Data(bytes)) == receipt)
        }
        // A channel worker's receipt naming invalid contacts, and nulls for the optional members, read as JSONDecoder reads them.
        let invalid = NotificationReceipt(notificationId: UUID.random(), status: .delivered, channel: .push, recipientKey: request.clientKey,
                                          requestId: request.requestId, agency: "VSAA", caseId: "P-1", messageClass: .informational,
                                          reason: "some_contacts_invalid", gatewayReference: "push-1", invalidContacts: ["sha256:0123456789abcdef"],
                                          at: Date(timeIntervalSince1970: 1_740_000_003.5))
        #expect(JSONWriter.encode(invalid).withUnsafeBytes { NotificationReceipt.read(json: $0) } == invalid)
        var receiptNulls = String(decoding: JSONWriter.encode(receipts[1]), as: UTF8.self)
        receiptNulls.removeLast()
        receiptNulls += #","fallbackTo":null,"gatewayReference":null,"invalidContacts":null,"notice":null,"reason":null}"#
        #expect(Array(receiptNulls.utf8).withUnsafeBytes { NotificationReceipt.read(json: $0) } == receipts[1])
        #expect(try RecordJSON.foundationDecoder().decode(NotificationReceipt.self, from: Data(receiptNulls.utf8)) == receipts[1])
        // Where the reader is not sure it gives up, and JSONDecoder decides: an unknown member (which JSONDecoder
        // ignores), a repeated one, a status it does not know (which JSONDecoder refuses), a notice with a bad member.
        let receiptText = String(decoding: JSONWriter.encode(receipts[0]), as: UTF8.self)
        let unknown = receiptText.replacingOccurrences(of: #""status":"fallback""#, with: #""status":"fallback","x":{"y":[1,null]}"#)
        for odd in [unknown,
                    receiptText.replacingOccurrences(of: #""agency":"VSAA""#, with: #""agency":"VSAA","agency":"VID""#),
                    receiptText.replacingOccurrences(of: #""status":"fallback""#, with: #""status":"lost""#),
                    receiptText.replacingOccurrences(of: #""smsSegments":2"#, with: #""smsSegments":2.5"#)] {
            #expect(odd != receiptText)
            #expect(Array(odd.utf8).withUnsafeBytes { NotificationReceipt.read(json: $0) } == nil, "\(odd.prefix(60))")
        }
        #expect(try RecordJSON.decode(NotificationReceipt.self, from: Data(unknown.utf8)) == receipts[0])
        #expect(throws: (any Error).self) {
            try RecordJSON.decode(NotificationReceipt.self, from: Data(receiptText.replacingOccurrences(of: #""status":"fallback""#, with: #""status":"lost""#).utf8))
        }
    }

    @Test func controlCharactersAreEscapedAsJSONEncoderDoes() throws {
        let text = String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7F}"
        var writer = JSONWriter()
        writer.string(text)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: try RecordJSON.foundationEncoder().encode(text), as: UTF8.self))
    }

    @Test func uuidTextRoundTripsAndRejectsWhatFoundationRejects() {
        for _ in 0..<100 {
            let id = UUID.random()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.lowercasedString) == id)
        }
        for bad in ["", "7c0d6f8e3b9a4c1e9f2d5a6b7c8d9e0f", "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0", "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f0",
                    "7c0d6f8e-3b9a-4c1e-9f2d_5a6b7c8d9e0f", "7c0d6f8g-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "{7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f}"] {
            #expect(UUID(text: bad) == nil, "\(bad)")
            #expect(UUID(uuidString: bad) == nil, "\(bad)")
            #expect(bad.utf8.withContiguousStorageIfAvailable { UUID(utf8: UnsafeRawBufferPointer($0)) } ?? nil == nil, "\(bad)")
        }
        // The scanner reads ids and times from their bytes; an escaped one is left to the caller's fallback.
        let id = UUID.random()
        for (json, expected) in [("\"\(id.uuidString)\"", id), ("\"\\u0037c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f\"", nil), ("\"\(id.uuidString)", nil)] {
            let read = Array(json.utf8).withUnsafeBytes { raw -> UUID? in
                var scanner = JSONScanner(raw)
                return scanner.uuid()
            }
            #expect(read == expected, "\(json)")
        }
        let time = Array(#""2026-11-24T19:30:45.470+02:00""#.utf8).withUnsafeBytes { raw -> Date? in
            var scanner = JSONScanner(raw)
            return scanner.timestamp()
        }
        #expect(time == RFC3339Timestamp.parse("2026-11-24T19:30:45.470+02:00"))
        let random = UUID.random()
        #expect(random.uuid.6 >> 4 == 4)
        #expect(random.uuid.8 >> 6 == 2)
    }

    @Test func lookupRecordsMatchJSONEncoder() throws {
        let requester = Requester(agency: "VID", system: Self.tricky)
        let request = LookupRequest(correlationId: UUID.random(), replyTopic: "dagr.lookup.replies.vid", requester: requester, purpose: "TAX-2025",
                                    queryType: .companyStatus, parameters: ["regNumber": "40003000001", "b": Self.tricky, "B": "", "a10": "x", "a9": "y"],
                                    deadline: Date(timeIntervalSince1970: 1_740_000_000.125))
        var bare = request
        bare.parameters = [:]
        let reply = LookupReply(correlationId: request.correlationId, outcome: .found, data: ["name": Self.tricky, "legalForm": "SIA", "active": "true"],
                                reason: "r", sourceTimestamp: Date(timeIntervalSince1970: 1_739_000_000.5), fromCache: true,
                                answeredAt: Date(timeIntervalSince1970: 1_740_000_000.25))
        let sparseReply = LookupReply(correlationId: request.correlationId, outcome: .timeout, answeredAt: Date(timeIntervalSince1970: 0))
        for value in [request, bare] {
            #expect(writerBytes(value) == (try foundationBytes(value)))
            let bytes = JSONWriter.encode(value)
            #expect(bytes.withUnsafeBytes { LookupRequest.read(json: $0) } == value)
            #expect(try RecordJSON.foundationEncoder().encode(value).withUnsafeBytes { LookupRequest.read(json: $0) } == value)
            #expect(try RecordJSON.foundationDecoder().decode(LookupRequest.self, from: Data(bytes)) == value)
        }
        for value in [reply, sparseReply] {
            #expect(writerBytes(value) == (try foundationBytes(value)))
            let bytes = JSONWriter.encode(value)
            #expect(bytes.withUnsafeBytes { LookupReply.read(json: $0) } == value)
            #expect(try RecordJSON.foundationEncoder().encode(value).withUnsafeBytes { LookupReply.read(json: $0) } == value)
            #expect(try RecordJSON.foundationDecoder().decode(LookupReply.self, from: Data(bytes)) == value)
        }
        // Nulls for the optional members read as absent ones do.
        var nulls = String(decoding: JSONWriter.encode(sparseReply), as: UTF8.self)
        nulls.removeLast()
        nulls += #","data":null,"reason":null,"sourceTimestamp":null}"#
        #expect(Array(nulls.utf8).withUnsafeBytes { LookupReply.read(json: $0) } == sparseReply)
        for audit in [LookupAudit(correlationId: request.correlationId, requester: requester, purpose: "TAX-2025", queryType: .personStatus,
                                  subject: "hmac:00ff", outcome: .forbidden, reason: Self.tricky, fromCache: false,
                                  at: Date(timeIntervalSince1970: 1_740_000_000.75), latencyMilliseconds: 1.375),
                      LookupAudit(correlationId: request.correlationId, requester: requester, purpose: "", queryType: .objectGet,
                                  subject: "", outcome: .found, reason: nil, fromCache: true, at: Date(timeIntervalSince1970: 0), latencyMilliseconds: 12)] {
            #expect(writerBytes(audit) == (try foundationBytes(audit)))
            #expect(try RecordJSON.decode(LookupAudit.self, from: Data(JSONWriter.encode(audit))) == audit)
        }
        // Where the reader is not sure it gives up, and JSONDecoder decides: an unknown query type, a number where a
        // parameter's string belongs, a repeated parameter, an unknown member.
        let text = String(decoding: JSONWriter.encode(bare), as: UTF8.self)
        for odd in [text.replacingOccurrences(of: #""company.status""#, with: #""company.everything""#),
                    text.replacingOccurrences(of: #""parameters":{}"#, with: #""parameters":{"id":5}"#),
                    text.replacingOccurrences(of: #""parameters":{}"#, with: #""parameters":{"id":"1","id":"2"}"#),
                    text.replacingOccurrences(of: #""parameters":{}"#, with: #""parameters":{},"x":1"#)] {
            #expect(odd != text)
            #expect(Array(odd.utf8).withUnsafeBytes { LookupRequest.read(json: $0) } == nil, "\(odd.prefix(60))")
        }
    }
}

/// The scanner's arrays, booleans and integers: what it reads, and what it leaves to `JSONDecoder`.
@Suite struct JSONScannerTests {
    private func scan<T>(_ text: String, _ read: (inout JSONScanner) -> T?) -> T? {
        Array(text.utf8).withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            guard let value = read(&scanner), scanner.atEnd() else { return nil }
            return value
        }
    }

    @Test func integers() {
        #expect(scan("0") { $0.integer() } == 0)
        #expect(scan(" -42 ") { $0.integer() } == -42)
        #expect(scan("9223372036854775807") { $0.integer() } == Int.max)
        for unsure in ["9223372036854775808", "01", "-", "1.5", "1e3", "2E1", "+1", "", "\"1\""] {
            #expect(scan(unsure) { $0.integer() } == nil, "\(unsure)")
        }
    }

    @Test func booleansAndArrays() {
        #expect(scan("true") { $0.bool() } == true)
        #expect(scan(" false") { $0.bool() } == false)
        #expect(scan("tru") { $0.bool() } == nil)
        #expect(scan("1") { $0.bool() } == nil)
        #expect(scan(#"[ "a" , "b\u00e4" ]"#) { $0.strings() } == ["a", "bä"])
        #expect(scan("[]") { $0.strings() } == [])
        for bad in [#"["a",]"#, #"["a""b"]"#, #"["a""#, #"[1]"#, #"{"a":1}"#] {
            #expect(scan(bad) { $0.strings() } == nil, "\(bad)")
        }
    }
}
