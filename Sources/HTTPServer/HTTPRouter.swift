/// Exact-match routing table for the hub's few fixed endpoints (metrics, health, ingress).
/// A value type: build it up front, then hand it to the server; it is immutable afterwards.
public struct HTTPRouter: Sendable {
    /// Same shape as the server's handler so routes and servers compose without adapters.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// A handler that never awaits: it runs on the connection's own thread, without the hop
    /// onto the cooperative pool and back that an async handler costs per request. It may block
    /// (each connection has a thread of its own), so emulators sleep here to play a slow gateway.
    public typealias BlockingHandler = @Sendable (HTTPRequest) -> HTTPResponse

    private enum Route: Sendable {
        case async(Handler)
        case blocking(BlockingHandler)
    }

    private var routes: [String: [String: Route]] = [:]

    /// An empty router answers 404 to everything.
    public init() {}

    /// Routes `method` on exactly `path` (no patterns, no trailing-slash folding: predictable beats clever).
    /// Registering GET also serves HEAD; the server then sends the headers without the body.
    public mutating func register(_ method: String, _ path: String, handler: @escaping Handler) {
        routes[path, default: [:]][method] = .async(handler)
    }

    /// Routes `method` on `path` to a handler that answers on the connection's thread.
    public mutating func registerBlocking(_ method: String, _ path: String, handler: @escaping BlockingHandler) {
        routes[path, default: [:]][method] = .blocking(handler)
    }

    /// 404 for unknown paths, 405 with `Allow` for a known path with another method.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        switch route(for: request) {
        case .async(let handler)?: return await handler(request)
        case .blocking(let handler)?: return handler(request)
        case nil: return unrouted(request)
        }
    }

    /// The answer when the route is blocking, or when there is no route (404/405); nil when an
    /// async handler must answer. The server calls this first, on the connection's thread.
    public func handleImmediately(_ request: HTTPRequest) -> HTTPResponse? {
        switch route(for: request) {
        case .async?: return nil
        case .blocking(let handler)?: return handler(request)
        case nil: return unrouted(request)
        }
    }

    private func route(for request: HTTPRequest) -> Route? {
        guard let methods = routes[request.path] else { return nil }
        if let route = methods[request.method] { return route }
        if request.method == "HEAD", let get = methods["GET"] { return get }
        return nil
    }

    private func unrouted(_ request: HTTPRequest) -> HTTPResponse {
        guard let methods = routes[request.path] else {
            return .text("Not Found\n", status: 404)
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

    /// The router's blocking routes (and its 404/405) for the connection threads; captures the current routes.
    public var immediate: HTTPServer.Immediate {
        let router = self
        return { request in router.handleImmediately(request) }
    }
}
