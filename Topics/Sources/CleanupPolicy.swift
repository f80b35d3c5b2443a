/// How Kafka discards old records of a topic; decides whether a topic is a log or a table.
public enum CleanupPolicy: String, Sendable, Hashable, CaseIterable {
    /// Old segments are deleted once retention expires (event logs).
    case delete
    /// Only the latest record per key is kept (current-state tables).
    case compact
    /// Latest record per key is kept, and even that expires after retention.
    case compactDelete = "compact,delete"

    /// Value for Kafka's `cleanup.policy` topic config.
    public var configValue: String { rawValue }
}
