import Foundation

/// Metadata carried in Kafka headers next to every hub record: what the value is, where it came from, and why.
/// Values stay pure business data; everything needed for routing, tracing and idempotency lives here.
public struct RecordEnvelope: Sendable, Hashable {
    /// Media type assumed when none is given.
    public static let defaultContentType = "application/json"

    /// Schema id and version of the value.
    public var schema: SchemaReference
    /// Unique id of this record.
    public var eventId: UUID
    /// Id shared by all records of one business flow.
    public var correlationId: String
    /// Event id of the record that caused this one, nil for flow starters.
    public var causationId: String?
    /// W3C trace context of the span that produced the record.
    public var traceparent: TraceContext
    /// Producer, e.g. "hub/status-ingest" or the publishing agency.
    public var source: String
    /// Media type of the value bytes.
    public var contentType: String

    /// Creates an envelope; a nil correlation id starts a new flow correlated by this event's id.
    public init(
        schema: SchemaReference,
        source: String,
        eventId: UUID = UUID(),
        correlationId: String? = nil,
        causationId: String? = nil,
        traceparent: TraceContext = .fresh(),
        contentType: String = RecordEnvelope.defaultContentType
    ) {
        self.schema = schema
        self.source = source
        self.eventId = eventId
        self.correlationId = correlationId ?? eventId.lowercasedString
        self.causationId = causationId
        self.traceparent = traceparent
        self.contentType = contentType
    }

    /// Envelope for a record produced because of `parent`: same correlation and trace, causation = parent event.
    public static func caused(
        by parent: RecordEnvelope,
        schema: SchemaReference,
        source: String,
        eventId: UUID = UUID(),
        contentType: String = RecordEnvelope.defaultContentType
    ) -> RecordEnvelope {
        RecordEnvelope(
            schema: schema,
            source: source,
            eventId: eventId,
            correlationId: parent.correlationId,
            causationId: parent.eventId.lowercasedString,
            traceparent: parent.traceparent.child(),
            contentType: contentType
        )
    }

    /// Kafka headers in a fixed order; the causation header is omitted when there is no cause.
    public func headers() -> [(key: String, value: String)] {
        var headers: [(key: String, value: String)] = [
            (EnvelopeHeaderName.schemaId, schema.id),
            (EnvelopeHeaderName.schemaVersion, String(schema.version)),
            (EnvelopeHeaderName.eventId, eventId.lowercasedString),
            (EnvelopeHeaderName.correlationId, correlationId),
        ]
        if let causationId {
            headers.append((EnvelopeHeaderName.causationId, causationId))
        }
        headers.append((EnvelopeHeaderName.traceparent, traceparent.traceparent))
        headers.append((EnvelopeHeaderName.source, source))
        headers.append((EnvelopeHeaderName.contentType, contentType))
        return headers
    }

    /// Reads an envelope from Kafka headers; the last occurrence of a repeated header wins, unknown ones are ignored.
    public init(headers: [(key: String, value: String)]) throws(EnvelopeError) {
        var values: [String: String] = [:]
        for header in headers { values[header.key] = header.value }

        func required(_ name: String) throws(EnvelopeError) -> String {
            guard let value = values[name] else {
                throw EnvelopeError(code: .missingHeader, header: name, message: "required header is absent")
            }
            guard !value.isEmpty else {
                throw EnvelopeError(code: .invalidHeader, header: name, message: "value is empty")
            }
            return value
        }
        func invalid(_ name: String, _ message: String) -> EnvelopeError {
            EnvelopeError(code: .invalidHeader, header: name, message: message)
        }

        let schemaId = try required(EnvelopeHeaderName.schemaId)
        let versionText = try required(EnvelopeHeaderName.schemaVersion)
        guard let version = Int(versionText), version >= 1 else {
            throw invalid(EnvelopeHeaderName.schemaVersion, "'\(versionText)' is not a positive integer")
        }
        let eventIdText = try required(EnvelopeHeaderName.eventId)
        guard let eventId = UUID(text: eventIdText) else {
            throw invalid(EnvelopeHeaderName.eventId, "'\(eventIdText)' is not a UUID")
        }
        let correlationId = try required(EnvelopeHeaderName.correlationId)
        let traceText = try required(EnvelopeHeaderName.traceparent)
        guard let trace = TraceContext(traceparent: traceText) else {
            throw invalid(EnvelopeHeaderName.traceparent, "'\(traceText)' is not 00-<32 hex>-<16 hex>-<2 hex>")
        }
        let source = try required(EnvelopeHeaderName.source)
        if let causation = values[EnvelopeHeaderName.causationId], causation.isEmpty {
            throw invalid(EnvelopeHeaderName.causationId, "value is empty")
        }
        if let type = values[EnvelopeHeaderName.contentType], type.isEmpty {
            throw invalid(EnvelopeHeaderName.contentType, "value is empty")
        }

        self.init(
            schema: SchemaReference(id: schemaId, version: version),
            source: source,
            eventId: eventId,
            correlationId: correlationId,
            causationId: values[EnvelopeHeaderName.causationId],
            traceparent: trace,
            contentType: values[EnvelopeHeaderName.contentType] ?? Self.defaultContentType
        )
    }
}
