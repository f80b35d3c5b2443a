/// A topic to create: what `KafkaAdmin.createTopics` sends to the broker.
public struct KafkaTopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    /// -1 lets the broker use its default.
    public var replicationFactor: Int16
    /// Topic-level configs: `cleanup.policy`, `retention.ms`, `min.insync.replicas`, ...
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int16 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// What happened to one topic in a create request.
public enum KafkaTopicCreation: Sendable, Hashable {
    case created
    case alreadyExists
    case failed(KafkaError)
}

/// A topic as the cluster describes it.
public struct KafkaTopicDescription: Sendable, Hashable {
    public struct Partition: Sendable, Hashable {
        public let id: Int32
        public let leader: Int32
        public let replicas: [Int32]
        public let inSyncReplicas: [Int32]
    }

    public let name: String
    public let partitions: [Partition]
    /// Empty when the broker does not answer DescribeConfigs.
    public let configs: [String: String]
}
