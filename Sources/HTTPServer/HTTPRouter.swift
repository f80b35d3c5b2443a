/// Exact-match routing table for the hub's few fixed endpoints (metrics, health, ingress).
/// A value type: build it up front, then hand `handler` to the server; it is immutable afterwards.
public struct HTTPRouter: Sendable {
    /// Same shape as the server's handler so routes and servers compose without adapters.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    private var routes: [String: [String: Handler]] = [:]

    /// An empty router answers 404 to everything.
    public init() {}

    /// Routes `method` on exactly `path` (no patterns, no trailing-slash folding: predictable beats clever).
    /// Registering GET also serves HEAD; the server then sends the headers without the body.
    public mutating func register(_ method: String, _ path: String, handler: @escaping Handler) {
        routes[path, default: [:]][method] = handler
    }

    /// 404 for unknown paths, 405 with `Allow` for a known path with another method.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        guard let methods = routes[request.path] else {
            return .text("Not Found\n", status: 404)
        }
        if let handler = methods[request.method] {
            return await handler(request)
        }
        if request.method == "HEAD", let get = methods["GET"] {
            return await get(request)
        }
        var allowed = Set(methods.keys)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        var response = HTTPResponse.text("Method Not Allowed\n", status: 405)
        response.headers.replaceOrAdd(name: "Allow", value: allowed.sorted().joined(separator: ", "))
        return response
    }

    /// The router as a server handler; captures the current routes.
    public var handler: Handler {
        let router = self
        return { request in await router.handle(request) }
    }
}
