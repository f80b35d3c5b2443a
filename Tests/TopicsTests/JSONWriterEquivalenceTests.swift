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
        }
        let random = UUID.random()
        #expect(random.uuid.6 >> 4 == 4)
        #expect(random.uuid.8 >> 6 == 2)
    }
}
