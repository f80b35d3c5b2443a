import CRdKafka

/// Where librdkafka's partitioners put a keyed record, so that a reader
/// looking for one key can read the one partition its records go to instead
/// of the whole topic. Keys are placed by librdkafka's own functions, so the
/// answer is the producer's.
public enum KafkaPartitioner: String, Sendable, CaseIterable {
    case consistent
    case consistentRandom = "consistent_random"
    case murmur2
    case murmur2Random = "murmur2_random"
    case fnv1a
    case fnv1aRandom = "fnv1a_random"

    /// The partitioner a client's properties name (`partitioner`), librdkafka's default
    /// (`consistent_random`) when they name none; nil for `random`, which does not place by key.
    public init?(of client: KafkaClientProperties) {
        self.init(rawValue: client["partitioner"] ?? Self.consistentRandom.rawValue)
    }

    /// The partition (0 ..< `partitionCount`) a record with this non-empty key goes to.
    public func partition(of key: [UInt8], partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0 && !key.isEmpty, "a key and at least one partition")
        return key.withUnsafeBytes { bytes in
            // The topic handle and opaques are not read by these functions; keyed, the "_random" ones are the plain ones.
            switch self {
            case .consistent, .consistentRandom:
                rd_kafka_msg_partitioner_consistent(nil, bytes.baseAddress, bytes.count, partitionCount, nil, nil)
            case .murmur2, .murmur2Random:
                rd_kafka_msg_partitioner_murmur2(nil, bytes.baseAddress, bytes.count, partitionCount, nil, nil)
            case .fnv1a, .fnv1aRandom:
                rd_kafka_msg_partitioner_fnv1a(nil, bytes.baseAddress, bytes.count, partitionCount, nil, nil)
            }
        }
    }
}
