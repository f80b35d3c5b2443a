import Foundation

/// What a handler returns. The server owns framing: it always writes Content-Length, Date
/// and Connection itself, so handlers cannot produce a response that desynchronises the connection.
public struct HTTPResponse: Sendable, Equatable {
    /// Final status code; anything outside 200...599 is turned into a 500 by the server.
    public var status: Int
    /// Reason phrase; purely informational for clients, defaults to the standard one.
    public var reason: String
    /// Handler-chosen fields; Content-Length, Transfer-Encoding and Connection are replaced by the server.
    public var headers: HTTPHeaders
    /// Complete body; HEAD requests get only its length.
    public var body: Data

    /// Memberwise with a default reason, since nearly nobody wants a custom one.
    public init(status: Int = 200, reason: String? = nil, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data()) {
        self.status = status
        self.reason = reason ?? Self.reasonPhrase(for: status)
        self.headers = headers
        self.body = body
    }

    /// Plain UTF-8 text, the usual shape for health checks and error bodies.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Data(text.utf8))
    }

    /// Already-encoded JSON (e.g. from JSONEncoder); no re-encoding or validation is done.
    public static func json(_ json: Data, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: json)
    }

    /// JSON written as a string literal, handy for small fixed documents.
    public static func json(_ json: String, status: Int = 200) -> HTTPResponse {
        .json(Data(json.utf8), status: status)
    }

    /// Standard reason phrases (RFC 9110 §15); unknown codes get an empty phrase, which the grammar allows.
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: ""
        }
    }
}
