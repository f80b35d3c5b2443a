/// A record to send. `partition` nil lets the partitioner choose by key, so
/// records with one key keep their order.
public struct KafkaProducerRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch; nil means "now" at the producer.
    public var timestampMilliseconds: Int64?

    public init(topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?,
                headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    public init(topic: String, key: String?, value: String, headers: [KafkaHeader] = [],
                timestampMilliseconds: Int64? = nil) {
        self.init(topic: topic, key: key.map { Array($0.utf8) }, value: Array(value.utf8),
                  headers: headers, timestampMilliseconds: timestampMilliseconds)
    }
}
