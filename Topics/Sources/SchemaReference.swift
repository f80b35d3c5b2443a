/// Names one version of a value schema, so headers, topics and schema files agree on what a record holds.
public struct SchemaReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable schema name, e.g. "status-event"; never reused for a different contract.
    public let id: String
    /// Contract version; readers accept every version up to the one they were built with.
    public let version: Int

    /// Creates a reference; versions start at 1.
    public init(id: String, version: Int) {
        self.id = id
        self.version = version
    }

    /// Short form used in logs and file names, e.g. "status-event.v1".
    public var description: String { "\(id).v\(version)" }

    /// Name of the generated schema file, e.g. "status-event.v1.json".
    public var fileName: String { "\(description).json" }

    /// The `$id` published in the schema file, so agencies can reference it.
    public var schemaURI: String { "https://hub.gov.lv/schemas/\(fileName)" }
}
