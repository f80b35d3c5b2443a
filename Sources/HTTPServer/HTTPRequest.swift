import Foundation

/// A fully received request; the body is complete (de-chunked) before a handler sees it,
/// so handlers never deal with framing or partial reads.
public struct HTTPRequest: Sendable, Equatable {
    /// Case-sensitive, as HTTP methods are ("get" is not "GET").
    public var method: String
    /// The request-target exactly as sent, for logging and signature checks.
    public var target: String
    /// Target path without the query, still percent-encoded so "%2F" cannot masquerade as a separator.
    public var path: String
    /// Raw query string after "?", nil when the target had none.
    public var query: String?
    /// "HTTP/1.1" or "HTTP/1.0"; the parser rejects everything else.
    public var version: String
    /// Header fields in wire order.
    public var headers: HTTPHeaders
    /// Decoded message body (empty when the request had none).
    public var body: Data

    /// Splits `target` into `path` and `query` so hand-built requests (tests, internal calls) match parsed ones.
    public init(method: String, target: String, version: String = "HTTP/1.1",
                headers: HTTPHeaders = HTTPHeaders(), body: Data = Data()) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        (path, query) = Self.splitTarget(target)
    }

    /// Query parameters in order, percent- and "+"-decoded; a list because keys may repeat.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: Self.decodeQueryComponent(parts[0]),
                    value: parts.count > 1 ? Self.decodeQueryComponent(parts[1]) : "")
        }
    }

    /// First value of a query parameter, the common single-valued case.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    private static func splitTarget(_ target: String) -> (path: String, query: String?) {
        var pathAndQuery = Substring(target)
        // absolute-form (RFC 9112 §3.2.2) must be accepted by servers; only its path matters here.
        let lower = target.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://"), let schemeEnd = target.range(of: "://") {
            let rest = target[schemeEnd.upperBound...]
            pathAndQuery = rest.firstIndex { $0 == "/" || $0 == "?" }.map { rest[$0...] } ?? ""
        }
        var path = pathAndQuery
        var query: String?
        if let mark = pathAndQuery.firstIndex(of: "?") {
            path = pathAndQuery[..<mark]
            query = String(pathAndQuery[pathAndQuery.index(after: mark)...])
        }
        return (path.isEmpty ? "/" : String(path), query)
    }

    private static func decodeQueryComponent(_ component: Substring) -> String {
        let spaced = component.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
