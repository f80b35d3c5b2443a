/// Kafka header names of the record envelope, shared so producers and consumers never disagree on spelling.
public enum EnvelopeHeaderName {
    /// Schema id of the value, e.g. "status-event".
    public static let schemaId = "hub-schema-id"
    /// Schema version of the value, a decimal integer.
    public static let schemaVersion = "hub-schema-version"
    /// Unique id of this record (UUID), used for idempotency and causation.
    public static let eventId = "hub-event-id"
    /// Id shared by every record of one business flow.
    public static let correlationId = "hub-correlation-id"
    /// Event id of the record that caused this one; absent for flow starters.
    public static let causationId = "hub-causation-id"
    /// W3C trace context.
    public static let traceparent = "traceparent"
    /// Who produced the record, e.g. "hub/status-ingest" or an agency code.
    public static let source = "hub-source"
    /// Media type of the value bytes.
    public static let contentType = "content-type"

    /// Headers that must be present on every hub record.
    public static let required: [String] = [schemaId, schemaVersion, eventId, correlationId, traceparent, source]
}
