import Topics

/// Every notification template by id, and the rule that picks one: the
/// service's own before the `*` default, the recipient's language before
/// Latvian, the state language.
public struct TemplateBook: Sendable {
    public private(set) var templates: [String: NotificationTemplate] = [:]

    public init(_ templates: [NotificationTemplate] = []) {
        for template in templates { upsert(template) }
    }

    public mutating func upsert(_ template: NotificationTemplate) { templates[template.id] = template }
    public mutating func remove(id: String) { templates[id] = nil }

    /// The template for a notice; nil when there is none.
    public func find(service: String, purpose: String, channel: NotifyChannel, language: String) -> NotificationTemplate? {
        for language in language == "lv" ? ["lv"] : [language, "lv"] {
            for service in [service, "*"] {
                if let found = templates[NotificationTemplate.id(service: service, purpose: purpose, channel: channel, language: language)] {
                    return found
                }
            }
        }
        return nil
    }
}

/// Fills `{{name}}` placeholders. Every placeholder must have a value; a
/// rendered text never carries a raw `{{`.
public enum TemplateRenderer {
    public enum Failure: Error, Sendable, Hashable {
        /// The template names a placeholder this notice has no value for.
        case missingPlaceholder(String)
        /// Unbalanced braces.
        case malformed
    }

    public static func render(_ text: String, values: [String: String]) throws(Failure) -> String {
        // Over UTF-8 bytes: `{` and `}` are ASCII, so they never split a character.
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") {
                var close = index + 2
                while close + 1 < bytes.count, !(bytes[close] == UInt8(ascii: "}") && bytes[close + 1] == UInt8(ascii: "}")) { close += 1 }
                guard close + 1 < bytes.count else { throw .malformed }
                let name = String(decoding: bytes[(index + 2) ..< close], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard let value = values[name] else { throw .missingPlaceholder(name) }
                output.append(contentsOf: value.utf8)
                index = close + 2
            } else if byte == UInt8(ascii: "}"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "}") {
                throw .malformed
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The placeholder names a text uses.
    public static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(rest[open.upperBound ..< close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }
}
