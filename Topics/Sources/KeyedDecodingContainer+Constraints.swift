import Foundation

/// String checks shared by hand-written decoders, so the Swift types reject what their JSON Schemas reject.
extension KeyedDecodingContainer {
    func decodeText(
        forKey key: Key, length: ClosedRange<Int>? = nil, rule: String = "", isValid: (String) -> Bool = { _ in true }
    ) throws -> String {
        let text = try decode(String.self, forKey: key)
        try check(text, forKey: key, length: length, rule: rule, isValid: isValid)
        return text
    }

    func decodeTextIfPresent(
        forKey key: Key, length: ClosedRange<Int>? = nil, rule: String = "", isValid: (String) -> Bool = { _ in true }
    ) throws -> String? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        try check(text, forKey: key, length: length, rule: rule, isValid: isValid)
        return text
    }

    func decodeUUID(forKey key: Key) throws -> UUID {
        let text = try decode(String.self, forKey: key)
        guard let uuid = UUID(text: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "'\(text)' is not a UUID")
        }
        return uuid
    }

    private func check(_ text: String, forKey key: Key, length: ClosedRange<Int>?, rule: String, isValid: (String) -> Bool) throws {
        if let length, !length.contains(text.unicodeScalars.count) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self,
                debugDescription: "length \(text.unicodeScalars.count) is outside \(length.lowerBound)...\(length.upperBound)")
        }
        if !isValid(text) {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "'\(text)' \(rule)")
        }
    }
}

extension String {
    /// Unanchored regular-expression search, the JSON Schema `pattern` semantics.
    func matches(pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: self, range: NSRange(startIndex..., in: self)) != nil
    }
}
