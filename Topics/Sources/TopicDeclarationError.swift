/// Why a topic declaration could not be turned into a concrete topic.
public enum TopicDeclarationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The agency code does not match `^[A-Z0-9_-]{2,32}$`, so it cannot name a topic.
    case invalidAgencyCode(String)
    /// `instantiate(agency:)` was called on a topic that is not a per-agency family.
    case notAFamily(String)

    /// Machine-readable reason, stable for logs and API replies.
    public var code: String {
        switch self {
        case .invalidAgencyCode: "invalid_agency_code"
        case .notAFamily: "not_a_family"
        }
    }

    /// Human-readable explanation for operators.
    public var description: String {
        switch self {
        case .invalidAgencyCode(let agency):
            "\(code): agency code '\(agency)' must match ^[A-Z0-9_-]{2,32}$"
        case .notAFamily(let name):
            "\(code): topic '\(name)' has no {agency} placeholder"
        }
    }
}
