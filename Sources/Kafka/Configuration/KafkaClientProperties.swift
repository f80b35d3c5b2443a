/// librdkafka properties as given by the operator (`bootstrap.servers`,
/// `security.protocol`, `sasl.*`, `ssl.*`, ...). They pass through untouched;
/// librdkafka itself rejects an unknown name, and the error names it.
public struct KafkaClientProperties: Sendable, Hashable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public init(bootstrapServers: String) {
        self.values = ["bootstrap.servers": bootstrapServers]
    }

    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// Later values win; used to lay a role's settings over the shared ones.
    public func merging(_ other: [String: String]) -> KafkaClientProperties {
        KafkaClientProperties(values.merging(other) { _, new in new })
    }
}
