/// How long a topic keeps records; rendered as Kafka's `retention.ms`.
public enum Retention: Sendable, Hashable {
    /// Records are never deleted by age (`retention.ms = -1`).
    case forever
    /// Records are kept for the given number of days.
    case days(Int)
    /// Records are kept for the given number of hours.
    case hours(Int)

    /// Retention in milliseconds, -1 meaning unlimited, as Kafka expects it.
    public var milliseconds: Int64 {
        switch self {
        case .forever: -1
        case .days(let days): Int64(days) * 86_400_000
        case .hours(let hours): Int64(hours) * 3_600_000
        }
    }

    /// Value for Kafka's `retention.ms` topic config.
    public var configValue: String { String(milliseconds) }
}
