/// The type-specific part of a JSON Schema node; the hub only needs this draft 2020-12 subset.
public indirect enum JSONSchemaKind: Sendable, Hashable {
    /// An object; unknown properties are always allowed so newer writers do not break older readers.
    case object(properties: [String: JSONSchema], required: [String])
    /// A string with optional format, allowed values, length bounds and (unanchored, per spec) pattern.
    case string(format: JSONStringFormat?, allowedValues: [String]?, minLength: Int?, maxLength: Int?, pattern: String?)
    /// A whole number with optional bounds.
    case integer(minimum: Int?, maximum: Int?)
    /// Any JSON number.
    case number
    /// true or false.
    case boolean
    /// An array whose every element matches `items`.
    case array(items: JSONSchema)
}
