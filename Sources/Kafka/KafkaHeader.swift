/// One record header. Kafka allows repeated keys and null values; both are kept.
public struct KafkaHeader: Sendable, Hashable {
    public let key: String
    public let value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public init(key: String, string: String) {
        self.init(key: key, value: Array(string.utf8))
    }

    /// The value as UTF-8 text, when it is valid UTF-8.
    public var stringValue: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The last value for `key`; Kafka's convention is that the last one wins.
    public func last(_ key: String) -> KafkaHeader? { self.last { $0.key == key } }

    /// The last value for `key` as text.
    public func string(_ key: String) -> String? { last(key)?.stringValue }
}
