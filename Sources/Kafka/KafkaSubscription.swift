/// What a consumer reads: named topics, or every topic matching a regular
/// expression (`status\.events\..*`), which picks up new topics as they
/// appear, as a group member; or given partitions from their start, outside
/// any group (no join, no commits), which is how tables are loaded fast.
public enum KafkaSubscription: Sendable, Hashable {
    case topics([String])
    case pattern(String)
    case partitionsFromStart([KafkaTopicPartition])
    /// Given partitions from given offsets, outside any group: a reply reader starts at the high
    /// watermarks it took, so a record written right after it starts is not skipped.
    case partitionsAt([KafkaTopicPartition: Int64])

    /// librdkafka treats a name starting with `^` as a regular expression.
    var names: [String] {
        switch self {
        case .topics(let topics): topics
        case .pattern(let regex): [regex.hasPrefix("^") ? regex : "^" + regex]
        case .partitionsFromStart, .partitionsAt: []
        }
    }
}

/// A change in what this group member owns.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    case assigned([KafkaTopicPartition])
    case revoked([KafkaTopicPartition])
    /// The partitions were taken without a clean revocation (session lost).
    case lost([KafkaTopicPartition])
}
