import Foundation
import HTTPServer

/// The operations endpoints every hub process serves: `/metrics`
/// (Prometheus text), `/healthz` (the process is alive) and `/readyz` (its
/// Kafka stages are connected and assigned work), and the call-backs of the
/// process's gateways (`routes`: Kannel's delivery reports).
public final class OpsHTTPService: HubService {
    public struct Route: Sendable {
        public let method: String, path: String
        public let handler: HTTPRouter.Handler
        public init(_ method: String, _ path: String, handler: @escaping HTTPRouter.Handler) {
            self.method = method
            self.path = path
            self.handler = handler
        }
    }

    public let name = "ops-http"
    private let server: HTTPServer
    private let readiness: Readiness

    public init(host: String, port: Int, metrics: MetricsRegistry, readiness: Readiness, routes: [Route] = []) {
        self.readiness = readiness
        var router = HTTPRouter()
        for route in routes { router.register(route.method, route.path, handler: route.handler) }
        router.register("GET", "/metrics") { _ in
            var response = HTTPResponse.text(metrics.render())
            response.headers.replaceOrAdd(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
        router.register("GET", "/healthz") { _ in .json(#"{"status":"ok"}"#) }
        router.register("GET", "/readyz") { _ in
            let waiting = readiness.notReady
            if waiting.isEmpty { return .json(#"{"status":"ready"}"#) }
            let names = waiting.map { "\"\($0)\"" }.joined(separator: ",")
            return .json(#"{"status":"not_ready","waiting_for":[\#(names)]}"#, status: 503)
        }
        var configuration = HTTPServerConfiguration()
        configuration.host = host
        configuration.port = port
        self.server = HTTPServer(configuration: configuration, router: router)
    }

    /// Binds now, so a port conflict fails start-up rather than later.
    public func bind() throws { try server.start() }

    public var port: Int { server.port }

    public func run(shutdown: ShutdownSignal) async throws {
        do { try server.start() } catch HTTPServerError.alreadyStarted {}
        await shutdown.wait()
        let server = self.server
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { server.shutdown(); continuation.resume() }.start()
        }
    }
}

/// Which parts of the process have said they are ready.
public final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String: Bool] = [:]

    public init() {}

    public func register(_ part: String) { lock.lock(); parts[part] = false; lock.unlock() }
    public func markReady(_ part: String, _ ready: Bool = true) { lock.lock(); parts[part] = ready; lock.unlock() }
    public var notReady: [String] { lock.lock(); defer { lock.unlock() }; return parts.filter { !$0.value }.keys.sorted() }
    /// Every registered part is ready (and there is at least one).
    public var isReady: Bool { lock.lock(); defer { lock.unlock() }; return !parts.isEmpty && parts.values.allSatisfy { $0 } }
}
