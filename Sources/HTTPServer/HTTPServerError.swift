/// Why `HTTPServer.start()` failed; carries errno so the operator sees the real cause (EADDRINUSE, EACCES...).
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `start()` may run once per server; a stopped server is not restarted, create a new one.
    case alreadyStarted
    /// The configuration cannot be used as given (e.g. port out of range).
    case invalidConfiguration(String)
    /// `host` did not resolve to a bindable address.
    case addressResolution(host: String, message: String)
    /// A socket call failed.
    case socket(operation: String, errno: Int32)

    /// Human-readable form for logs.
    public var description: String {
        switch self {
        case .alreadyStarted: "HTTP server already started"
        case .invalidConfiguration(let message): "invalid HTTP server configuration: \(message)"
        case .addressResolution(let host, let message): "cannot resolve \(host): \(message)"
        case .socket(let operation, let code): "\(operation) failed with errno \(code)"
        }
    }
}
