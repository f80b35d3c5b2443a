/// Headers added to a record that goes to `hub.deadletter` or a quarantine
/// topic, beside its untouched original key, value and headers. The names
/// mirror Kafka Connect's `__connect.errors.*` headers under `hub.errors.`.
public enum FailureHeaderName {
    /// Where the record was read: topic, partition, offset, and its timestamp (ms).
    public static let topic = "hub.errors.topic"
    public static let partition = "hub.errors.partition"
    public static let offset = "hub.errors.offset"
    public static let timestamp = "hub.errors.timestamp"
    /// The service and stage that failed (`status-ingest`, `intake`).
    public static let service = "hub.errors.service"
    public static let stage = "hub.errors.stage"
    /// `retriable`, `permanent`, `poison` or `quarantine`.
    public static let errorClass = "hub.errors.class"
    /// Machine-readable reason (`missing_field`, `unknown_service`, ...).
    public static let code = "hub.errors.code"
    /// Human-readable reason; never quotes personal data.
    public static let message = "hub.errors.message"
    /// JSON path of the offending field, where there is one.
    public static let path = "hub.errors.path"
    public static let attempts = "hub.errors.attempts"
    /// RFC 3339 times of the first and the latest failure.
    public static let firstFailure = "hub.errors.first.failure"
    public static let lastFailure = "hub.errors.last.failure"
    public static let hubVersion = "hub.errors.hub.version"
    /// On a record in a retry topic: when it is due again (epoch milliseconds).
    public static let retryDue = "hub.retry.due"

    /// Every header the failure path adds; removed before a record is replayed or re-routed.
    public static func isFailureHeader(_ name: String) -> Bool {
        name.hasPrefix("hub.errors.") || name.hasPrefix("hub.retry.")
    }
}

/// Headers on a record the reprocessor sent back from a dead letter. The
/// record keeps its original key, value, headers and event id, so consumers'
/// de-duplication makes a second replay harmless.
public enum ReplayHeaderName {
    /// Operator identity (configuration `operator.name` or the OS user).
    public static let by = "hub.replay.by"
    /// RFC 3339 time of the replay.
    public static let at = "hub.replay.at"
    /// The dead letter's id (`<topic>/<partition>/<offset>`).
    public static let from = "hub.replay.from"
}
