import Foundation
import Testing
@testable import Topics

@Suite("Record envelope and trace context")
struct RecordEnvelopeTests {
    static let parent = RecordEnvelope(
        schema: StatusEvent.schema,
        source: "VID",
        eventId: UUID(uuidString: "11111111-2222-4333-8444-555555555555")!,
        correlationId: "corr-42",
        traceparent: TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")!)

    static func headers(without name: String) -> [(key: String, value: String)] {
        parent.headers().filter { $0.key != name }
    }

    static func headers(replacing name: String, with value: String) -> [(key: String, value: String)] {
        parent.headers().map { $0.key == name ? (key: name, value: value) : $0 }
    }

    static func envelopeError(_ headers: [(key: String, value: String)]) -> EnvelopeError? {
        do {
            _ = try RecordEnvelope(headers: headers)
            return nil
        } catch {
            return error
        }
    }

    @Test("Headers round trip, with and without causation")
    func roundTrip() throws {
        let child = RecordEnvelope.caused(by: Self.parent, schema: StatusEvent.schema, source: "hub/status-ingest")
        for envelope in [Self.parent, child] {
            #expect(try RecordEnvelope(headers: envelope.headers()) == envelope)
        }
        #expect(!Self.parent.headers().contains { $0.key == EnvelopeHeaderName.causationId })
    }

    @Test("Header names and values are as documented")
    func headerValues() {
        let headers = Dictionary(uniqueKeysWithValues: Self.parent.headers().map { ($0.key, $0.value) })
        #expect(headers == [
            "hub-schema-id": "status-event",
            "hub-schema-version": "1",
            "hub-event-id": "11111111-2222-4333-8444-555555555555",
            "hub-correlation-id": "corr-42",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "hub-source": "VID",
            "content-type": "application/json",
        ])
    }

    @Test("A missing required header is missing_header naming it", arguments: EnvelopeHeaderName.required)
    func missingRequiredHeader(name: String) throws {
        let error = try #require(Self.envelopeError(Self.headers(without: name)))
        #expect(error.code == .missingHeader)
        #expect(error.code.rawValue == "missing_header")
        #expect(error.header == name)
    }

    @Test("Missing event id specifically")
    func missingEventId() throws {
        let error = try #require(Self.envelopeError(Self.headers(without: "hub-event-id")))
        #expect(error.code.rawValue == "missing_header")
        #expect(error.header == "hub-event-id")
    }

    @Test("Malformed traceparent is invalid_header", arguments: [
        "", "garbage", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9g2b7-01",
    ])
    func badTraceparent(value: String) throws {
        let error = try #require(Self.envelopeError(Self.headers(replacing: "traceparent", with: value)))
        #expect(error.code.rawValue == "invalid_header")
        #expect(error.header == "traceparent")
        #expect(TraceContext(traceparent: value) == nil)
    }

    @Test("Other malformed headers are invalid_header", arguments: [
        ("hub-event-id", "not-a-uuid"), ("hub-schema-version", "one"), ("hub-schema-version", "0"),
        ("hub-schema-version", "-1"), ("hub-correlation-id", ""), ("hub-source", ""),
    ])
    func badHeader(name: String, value: String) throws {
        let error = try #require(Self.envelopeError(Self.headers(replacing: name, with: value)))
        #expect(error.code == .invalidHeader)
        #expect(error.header == name)
    }

    @Test("Optional headers: content type defaults, unknown headers are ignored, last duplicate wins")
    func lenientParsing() throws {
        var headers = Self.headers(without: EnvelopeHeaderName.contentType)
        headers.append(("x-agency-debug", "1"))
        headers.append((EnvelopeHeaderName.source, "hub/replay"))
        let envelope = try RecordEnvelope(headers: headers)
        #expect(envelope.contentType == "application/json")
        #expect(envelope.source == "hub/replay")
        #expect(envelope.causationId == nil)
    }

    @Test("A child keeps correlation and trace id and is caused by the parent")
    func child() {
        let child = RecordEnvelope.caused(by: Self.parent, schema: StatusEvent.schema, source: "hub/status-ingest")
        #expect(child.correlationId == "corr-42")
        #expect(child.causationId == "11111111-2222-4333-8444-555555555555")
        #expect(child.traceparent.traceId == Self.parent.traceparent.traceId)
        #expect(child.traceparent.spanId != Self.parent.traceparent.spanId)
        #expect(child.traceparent.flags == "01")
        #expect(child.eventId != Self.parent.eventId)
        #expect(child.source == "hub/status-ingest")
    }

    @Test("A new flow is correlated by its own event id and gets a fresh trace")
    func newFlow() {
        let first = RecordEnvelope(schema: StatusEvent.schema, source: "VID")
        let second = RecordEnvelope(schema: StatusEvent.schema, source: "VID")
        #expect(first.correlationId == first.eventId.uuidString.lowercased())
        #expect(first.causationId == nil)
        #expect(first.traceparent.traceId != second.traceparent.traceId)
    }

    @Test("Fresh trace contexts are well-formed W3C traceparents")
    func freshTraceparent() throws {
        for _ in 0..<50 {
            let trace = TraceContext.fresh()
            let text = trace.traceparent
            #expect(text.count == 55)
            #expect(text.hasPrefix("00-") && text.hasSuffix("-01"))
            #expect(text.range(of: "^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", options: .regularExpression) != nil)
            #expect(TraceContext(traceparent: text) == trace)
            #expect(trace.child().traceId == trace.traceId)
        }
    }
}
