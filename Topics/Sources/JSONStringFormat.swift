import Foundation

/// The JSON Schema `format` values the hub checks, so ids, timestamps and links are validated, not just typed.
public enum JSONStringFormat: String, Sendable, Hashable, CaseIterable {
    /// RFC 4122 UUID text.
    case uuid
    /// RFC 3339 timestamp with a mandatory offset.
    case dateTime = "date-time"
    /// Absolute URI with a scheme.
    case uri

    /// Whether `text` satisfies this format.
    public func accepts(_ text: String) -> Bool {
        switch self {
        case .uuid:
            UUID(text: text) != nil
        case .dateTime:
            RFC3339Timestamp.parse(text) != nil
        case .uri:
            URL(string: text)?.scheme?.isEmpty == false
        }
    }
}
