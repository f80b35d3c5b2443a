/// Limits and timeouts of one server. Every limit exists so that a misbehaving or hostile client
/// costs a bounded amount of memory, threads and time.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind; loopback by default so nothing is exposed unless asked for.
    public var host: String
    /// TCP port; 0 lets the kernel choose, read the result from `HTTPServer.port` after `start()`.
    public var port: Int
    /// Largest request head (request line + fields, also chunked trailers); larger gets 431.
    public var maxHeaderBytes: Int
    /// Largest request body; larger gets 413, before reading it when Content-Length announces it.
    public var maxBodyBytes: Int
    /// Time allowed for a complete request head from its first byte (or from accept on a new
    /// connection); defeats slowloris-style clients that trickle headers. Expiry answers 408.
    public var headerTimeout: Duration
    /// Time allowed for a complete body once the head is in; expiry answers 408.
    public var bodyTimeout: Duration
    /// How long a keep-alive connection may sit between requests before it is closed silently.
    public var idleTimeout: Duration
    /// How long a response write may stall on a client that does not read.
    public var writeTimeout: Duration
    /// Concurrent connections (each holds a thread); extra ones get 503 and are closed.
    public var maxConnections: Int
    /// Requests served on one connection before it is closed, so long-lived clients rebalance.
    public var maxRequestsPerConnection: Int
    /// How long `shutdown()` waits for in-flight requests before cutting their connections.
    public var shutdownTimeout: Duration

    /// All limits have defaults suitable for an internal metrics/health/ingress endpoint.
    public init(host: String = "127.0.0.1",
                port: Int = 0,
                maxHeaderBytes: Int = 8 * 1024,
                maxBodyBytes: Int = 1024 * 1024,
                headerTimeout: Duration = .seconds(10),
                bodyTimeout: Duration = .seconds(30),
                idleTimeout: Duration = .seconds(30),
                writeTimeout: Duration = .seconds(30),
                maxConnections: Int = 256,
                maxRequestsPerConnection: Int = 1000,
                shutdownTimeout: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.shutdownTimeout = shutdownTimeout
    }
}

extension HTTPServerConfiguration {
    /// Catches settings that would make every connection fail, so the mistake shows at start().
    func validate() throws(HTTPServerError) {
        guard (0...65535).contains(port) else { throw .invalidConfiguration("port \(port) out of range") }
        guard maxHeaderBytes > 0, maxBodyBytes >= 0 else { throw .invalidConfiguration("size limits must be positive") }
        guard maxConnections > 0, maxRequestsPerConnection > 0 else {
            throw .invalidConfiguration("connection limits must be positive")
        }
        let timeouts = [headerTimeout, bodyTimeout, idleTimeout, writeTimeout, shutdownTimeout]
        guard timeouts.allSatisfy({ $0 > .zero }) else { throw .invalidConfiguration("timeouts must be positive") }
    }
}
