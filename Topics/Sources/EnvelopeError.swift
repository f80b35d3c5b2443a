/// Why Kafka headers do not form a valid record envelope; `code` and `header` are machine-readable.
public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable reason codes for dead-letter records and metrics.
    public enum Code: String, Sendable, Hashable {
        /// A required header is absent.
        case missingHeader = "missing_header"
        /// A header is present but its value is malformed.
        case invalidHeader = "invalid_header"
    }

    /// What went wrong.
    public let code: Code
    /// Name of the offending header.
    public let header: String
    /// Human-readable detail for operators.
    public let message: String

    /// Creates an error for one header.
    public init(code: Code, header: String, message: String) {
        self.code = code
        self.header = header
        self.message = message
    }

    /// "code header: message", for logs.
    public var description: String { "\(code.rawValue) \(header): \(message)" }
}
