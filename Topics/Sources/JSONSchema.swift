import Foundation

/// A small JSON Schema (draft 2020-12 subset) written in Swift next to the type it describes,
/// rendered into the published schema files and used to validate incoming JSON.
public struct JSONSchema: Sendable, Hashable {
    /// The `$schema` dialect written into every document.
    public static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// Type-specific constraints.
    public let kind: JSONSchemaKind
    /// Explanation for agency developers; rendered as `description`.
    public let description: String?
    /// Document title; set on the root by `document(_:title:description:)`.
    public let title: String?
    /// Schema identity; set on the root only, where it becomes `$id`.
    public let reference: SchemaReference?

    /// Creates a schema node; prefer the static builders.
    public init(kind: JSONSchemaKind, description: String? = nil, title: String? = nil, reference: SchemaReference? = nil) {
        self.kind = kind
        self.description = description
        self.title = title
        self.reference = reference
    }

    // MARK: Builders

    /// An object with named properties; `required` lists the ones writers must send.
    public static func object(_ properties: [String: JSONSchema], required: [String] = [], description: String? = nil) -> JSONSchema {
        JSONSchema(kind: .object(properties: properties, required: required), description: description)
    }

    /// A string, optionally constrained by format, allowed values, length and pattern.
    public static func string(
        format: JSONStringFormat? = nil,
        allowedValues: [String]? = nil,
        minLength: Int? = nil,
        maxLength: Int? = nil,
        pattern: String? = nil,
        description: String? = nil
    ) -> JSONSchema {
        JSONSchema(
            kind: .string(format: format, allowedValues: allowedValues, minLength: minLength, maxLength: maxLength, pattern: pattern),
            description: description)
    }

    /// A string restricted to the raw values of a Swift enum, so the schema cannot drift from the type.
    public static func oneOf<Value: RawRepresentable & CaseIterable>(_ type: Value.Type, description: String? = nil) -> JSONSchema
    where Value.RawValue == String {
        string(allowedValues: type.allCases.map(\.rawValue), description: description)
    }

    /// A whole number with optional bounds.
    public static func integer(minimum: Int? = nil, maximum: Int? = nil, description: String? = nil) -> JSONSchema {
        JSONSchema(kind: .integer(minimum: minimum, maximum: maximum), description: description)
    }

    /// Any number.
    public static func number(description: String? = nil) -> JSONSchema {
        JSONSchema(kind: .number, description: description)
    }

    /// true or false.
    public static func boolean(description: String? = nil) -> JSONSchema {
        JSONSchema(kind: .boolean, description: description)
    }

    /// An array of `items`.
    public static func array(of items: JSONSchema, description: String? = nil) -> JSONSchema {
        JSONSchema(kind: .array(items: items), description: description)
    }

    /// This schema as a published root document with `$schema`, `$id`, title and description.
    public func document(_ reference: SchemaReference, title: String, description: String) -> JSONSchema {
        JSONSchema(kind: kind, description: description, title: title, reference: reference)
    }

    /// The same node with another description, for reusing a shared schema in a different role.
    public func described(_ description: String) -> JSONSchema {
        JSONSchema(kind: kind, description: description, title: title, reference: reference)
    }

    /// Properties of an object schema, empty for other kinds.
    public var properties: [String: JSONSchema] {
        if case .object(let properties, _) = kind { return properties }
        return [:]
    }

    /// Required property names of an object schema, empty for other kinds.
    public var requiredProperties: [String] {
        if case .object(_, let required) = kind { return required }
        return []
    }

    // MARK: Rendering

    /// Deterministic pretty JSON (sorted keys, 2-space indent, trailing newline) for the committed schema files.
    public func rendered() -> Data {
        // Cannot fail: the tree holds only strings, integers, booleans, arrays and dictionaries.
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = (try? JSONSerialization.data(withJSONObject: jsonObject(), options: options)) ?? Data()
        data.append(UInt8(ascii: "\n"))
        return data
    }

    private func jsonObject() -> [String: Any] {
        var node: [String: Any] = [:]
        if let reference {
            node["$schema"] = Self.dialect
            node["$id"] = reference.schemaURI
        }
        if let title { node["title"] = title }
        if let description { node["description"] = description }
        switch kind {
        case .object(let properties, let required):
            node["type"] = "object"
            node["properties"] = properties.mapValues { $0.jsonObject() }
            if !required.isEmpty { node["required"] = required.sorted() }
            node["additionalProperties"] = true
        case .string(let format, let allowedValues, let minLength, let maxLength, let pattern):
            node["type"] = "string"
            if let format { node["format"] = format.rawValue }
            if let allowedValues { node["enum"] = allowedValues }
            if let minLength { node["minLength"] = minLength }
            if let maxLength { node["maxLength"] = maxLength }
            if let pattern { node["pattern"] = pattern }
        case .integer(let minimum, let maximum):
            node["type"] = "integer"
            if let minimum { node["minimum"] = minimum }
            if let maximum { node["maximum"] = maximum }
        case .number:
            node["type"] = "number"
        case .boolean:
            node["type"] = "boolean"
        case .array(let items):
            node["type"] = "array"
            node["items"] = items.jsonObject()
        }
        return node
    }

    // MARK: Validation

    /// Checks a value from `JSONSerialization` (or built from Swift literals) and returns every violation found.
    /// Like the Swift decoders, an explicit null counts as an absent property.
    public func validate(_ json: Any) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        validate(json, at: JSONPath.root, into: &violations)
        return violations
    }

    private func validate(_ value: Any, at path: String, into violations: inout [SchemaViolation]) {
        let shape = Shape(value)
        func wrongType(_ expected: String) {
            violations.append(SchemaViolation(code: .wrongType, path: path, message: "expected \(expected), found \(shape.name)"))
        }
        func invalid(_ message: String) {
            violations.append(SchemaViolation(code: .invalidValue, path: path, message: message))
        }

        switch kind {
        case .object(let properties, let required):
            guard case .object(let object) = shape else { return wrongType("object") }
            for name in required.sorted() where object[name] == nil || object[name] is NSNull {
                violations.append(SchemaViolation(
                    code: .missingField, path: JSONPath.appending(path, key: name), message: "required property is missing"))
            }
            for (name, schema) in properties.sorted(by: { $0.key < $1.key }) {
                guard let member = object[name], !(member is NSNull) else { continue }
                schema.validate(member, at: JSONPath.appending(path, key: name), into: &violations)
            }

        case .string(let format, let allowedValues, let minLength, let maxLength, let pattern):
            guard case .string(let text) = shape else { return wrongType("string") }
            let length = text.unicodeScalars.count
            if let allowedValues, !allowedValues.contains(text) {
                invalid("'\(text)' is not one of \(allowedValues.joined(separator: ", "))")
            }
            if let format, !format.accepts(text) {
                invalid("'\(text)' is not a valid \(format.rawValue)")
            }
            if let minLength, length < minLength {
                invalid("length \(length) is below the minimum \(minLength)")
            }
            if let maxLength, length > maxLength {
                invalid("length \(length) is above the maximum \(maxLength)")
            }
            if let pattern {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(text.startIndex..., in: text)
                    if regex.firstMatch(in: text, range: range) == nil {
                        invalid("'\(text)' does not match \(pattern)")
                    }
                } else {
                    invalid("schema pattern \(pattern) does not compile")
                }
            }

        case .integer(let minimum, let maximum):
            guard case .number(let number) = shape, number.rounded() == number else { return wrongType("integer") }
            if let minimum, number < Double(minimum) { invalid("\(number) is below the minimum \(minimum)") }
            if let maximum, number > Double(maximum) { invalid("\(number) is above the maximum \(maximum)") }

        case .number:
            guard case .number = shape else { return wrongType("number") }

        case .boolean:
            guard case .boolean = shape else { return wrongType("boolean") }

        case .array(let items):
            guard case .array(let elements) = shape else { return wrongType("array") }
            for (index, element) in elements.enumerated() {
                items.validate(element, at: JSONPath.appending(path, index: index), into: &violations)
            }
        }
    }

    /// JSON type of a Foundation/Swift value; booleans must be told apart from NSNumber 0/1.
    private enum Shape {
        case null, boolean, number(Double), string(String), array([Any]), object([String: Any]), unknown

        init(_ value: Any) {
            if value is NSNull {
                self = .null
            } else if let text = value as? String {
                self = .string(text)
            } else if let object = value as? [String: Any] {
                self = .object(object)
            } else if let array = value as? [Any] {
                self = .array(array)
            } else if type(of: value) == Bool.self {
                self = .boolean
            } else if let number = value as? NSNumber {
                self = String(cString: number.objCType) == "c" ? .boolean : .number(number.doubleValue)
            } else {
                self = .unknown
            }
        }

        var name: String {
            switch self {
            case .null: "null"
            case .boolean: "boolean"
            case .number: "number"
            case .string: "string"
            case .array: "array"
            case .object: "object"
            case .unknown: "non-JSON value"
            }
        }
    }
}
