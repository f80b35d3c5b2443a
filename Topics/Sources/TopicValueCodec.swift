import Foundation

/// The one way hub services turn topic values into bytes and back, applying the versioning rule:
/// unknown fields are ignored, older or equal versions are read, newer versions are refused.
public enum TopicValueCodec {
    /// Canonical JSON: sorted keys, unescaped slashes, dates as RFC 3339 strings in UTC.
    /// The same bytes `RecordJSON.encode` gives, with encoding failures as schema violations.
    public static func encode<Value: TopicValue>(_ value: Value) throws(SchemaViolation) -> Data {
        Data(try bytes(value))
    }

    /// `encode`'s bytes as a Kafka record value takes them (`RecordJSON.bytes`).
    public static func bytes<Value: TopicValue>(_ value: Value) throws(SchemaViolation) -> [UInt8] {
        do {
            return try RecordJSON.bytes(value)
        } catch let EncodingError.invalidValue(_, context) {
            throw SchemaViolation(code: .invalidValue, path: JSONPath.render(context.codingPath), message: context.debugDescription)
        } catch {
            throw SchemaViolation(code: .invalidValue, path: JSONPath.root, message: "\(error)")
        }
    }

    /// Decodes a value written with schema `version`; throws `unsupported_version` for versions newer than
    /// `Value.schema.version` and maps decoding failures to violation codes with JSON paths.
    public static func decode<Value: TopicValue>(_ type: Value.Type, from data: Data, version: Int) throws(SchemaViolation) -> Value {
        guard (1...Value.schema.version).contains(version) else {
            throw SchemaViolation(
                code: .unsupportedVersion, path: JSONPath.root,
                message: "\(Value.schema.id) version \(version) is not readable; this reader understands 1...\(Value.schema.version)")
        }
        // The hand-written reader takes the common valid case; whatever it is unsure of gets the decoder's verdict.
        if let readable = type as? any JSONReadable.Type,
           let value = data.withUnsafeBytes({ readable.read(json: $0) }) as? Value {
            return value
        }
        let decoder = RecordJSON.sharedDecoder
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw violation(for: error)
        } catch {
            throw SchemaViolation(code: .invalidJSON, path: JSONPath.root, message: "\(error)")
        }
    }

    /// Decodes a value described by its envelope, refusing records whose schema id names another contract.
    public static func decode<Value: TopicValue>(_ type: Value.Type, from data: Data, envelope: RecordEnvelope) throws(SchemaViolation) -> Value {
        guard envelope.schema.id == Value.schema.id else {
            throw SchemaViolation(
                code: .schemaMismatch, path: JSONPath.root,
                message: "record is \(envelope.schema), expected \(Value.schema.id)")
        }
        return try decode(type, from: data, version: envelope.schema.version)
    }

    private static func violation(for error: DecodingError) -> SchemaViolation {
        switch error {
        case .keyNotFound(let key, let context):
            return SchemaViolation(
                code: .missingField, path: JSONPath.render(context.codingPath + [key]),
                message: "required field '\(key.stringValue)' is missing")
        case .valueNotFound(_, let context):
            return SchemaViolation(
                code: .missingField, path: JSONPath.render(context.codingPath),
                message: "required field is null")
        case .typeMismatch(let expected, let context):
            return SchemaViolation(
                code: .wrongType, path: JSONPath.render(context.codingPath),
                message: "expected \(expected): \(context.debugDescription)")
        case .dataCorrupted(let context):
            let code: SchemaViolation.Code = context.codingPath.isEmpty ? .invalidJSON : .invalidValue
            return SchemaViolation(code: code, path: JSONPath.render(context.codingPath), message: context.debugDescription)
        @unknown default:
            return SchemaViolation(code: .invalidJSON, path: JSONPath.root, message: "\(error)")
        }
    }
}
