/// A record value with a published contract: its schema identity, JSON Schema and a realistic example,
/// so docs, schema files and tests are derived from the Swift type rather than kept by hand.
public protocol TopicValue: Codable, Sendable {
    /// Schema id and the current (newest understood) version.
    static var schema: SchemaReference { get }
    /// The JSON Schema document published for this version.
    static var jsonSchema: JSONSchema { get }
    /// A fully populated example, used in docs and contract tests.
    static var example: Self { get }
}
