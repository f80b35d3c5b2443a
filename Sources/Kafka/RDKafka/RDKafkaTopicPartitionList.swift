import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t` and frees it once.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 4) {
        pointer = rd_kafka_topic_partition_list_new(Int32(capacity))
    }

    convenience init(_ offsets: [KafkaTopicPartitionOffset]) {
        self.init(capacity: offsets.count)
        for entry in offsets { add(entry.topicPartition, offset: entry.offset) }
    }

    convenience init(_ partitions: [KafkaTopicPartition]) {
        self.init(capacity: partitions.count)
        for entry in partitions { add(entry, offset: Int64(RD_KAFKA_OFFSET_INVALID)) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    func add(_ partition: KafkaTopicPartition, offset: Int64) {
        let element = rd_kafka_topic_partition_list_add(pointer, partition.topic, partition.partition)!
        element.pointee.offset = offset
    }

    /// Reads a list librdkafka owns (e.g. in a rebalance callback) without taking it.
    static func entries(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartitionOffset] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return KafkaTopicPartitionOffset(topic: String(cString: element.topic), partition: element.partition,
                                             offset: element.offset)
        }
    }

    var entries: [KafkaTopicPartitionOffset] { Self.entries(of: pointer) }

    /// The first per-partition error, if any (commit and offsets calls report there).
    var firstError: KafkaError? {
        for index in 0..<Int(pointer.pointee.cnt) {
            let element = pointer.pointee.elems[index]
            if element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                return KafkaError(element.err, context: "\(String(cString: element.topic))[\(element.partition)]")
            }
        }
        return nil
    }
}
