import Foundation

/// Every published value schema, and the generator that writes them to `Topics/schemas/` for agencies.
public enum SchemaCatalog {
    /// All topic value types with a published contract.
    public static let valueTypes: [any TopicValue.Type] = [StatusEvent.self]

    /// Every schema reference with its JSON Schema document.
    public static let all: [(SchemaReference, JSONSchema)] = valueTypes.map { ($0.schema, $0.jsonSchema) }

    /// Writes `<id>.v<version>.json` for every schema into `directory`, creating it if needed.
    public static func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (reference, schema) in all {
            try schema.rendered().write(to: directory.appendingPathComponent(reference.fileName), options: .atomic)
        }
    }
}
