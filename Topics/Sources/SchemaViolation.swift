/// One way a value breaks its schema, with a machine-readable code and the JSON path of the offending field,
/// so agencies get precise rejections and the quarantine topic stays queryable.
public struct SchemaViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable violation codes shared by the Swift decoder and the JSON Schema validator.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The bytes are not JSON at all.
        case invalidJSON = "invalid_json"
        /// A required field is absent or null.
        case missingField = "missing_field"
        /// A field has the wrong JSON type.
        case wrongType = "wrong_type"
        /// A field has the right type but a forbidden value (enum, format, length, pattern).
        case invalidValue = "invalid_value"
        /// The record was written with a newer schema version than this reader knows.
        case unsupportedVersion = "unsupported_version"
        /// The envelope names a different schema than the type being decoded.
        case schemaMismatch = "schema_mismatch"
    }

    /// What kind of violation this is.
    public let code: Code
    /// JSON path of the offending field, "$" for the whole document, e.g. "$.client.type".
    public let path: String
    /// Human-readable detail for operators and agency developers.
    public let message: String

    /// Creates a violation.
    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// "code at path: message", for logs.
    public var description: String { "\(code.rawValue) at \(path): \(message)" }
}
