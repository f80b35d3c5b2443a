import CCurl
import Foundation

/// What a gateway answered.
public struct HTTPExchange: Sendable, Hashable {
    public let status: Int
    public let body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
}

public enum HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No answer within the time-out: the gateway may or may not have acted on the request.
    case timedOut
    /// No connection: the request never reached the gateway.
    case unreachable(String)
    case failed(String)

    public var description: String {
        switch self {
        case .timedOut: "no answer in time"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .failed(let reason): reason
        }
    }
}

/// The HTTP client of the gateway connectors: libcurl (HTTP/1.1, TLS, keep-
/// alive) on threads of its own (`BlockingThreads`), each with its own easy
/// handle so connections are reused, and the cooperative pool never blocks.
/// Up to `connections` requests are in flight at once; more wait their turn,
/// and a connection that finishes takes the next at once.
public final class CurlHTTPClient: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [(String, String)]
        public var body: [UInt8]?
        /// This request's time-out, when shorter than the client's (a caller's deadline).
        public var timeout: Duration?
        public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Duration? = nil) {
            self.timeout = timeout
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    public let connections: Int
    public let timeout: Duration
    private let threads: BlockingThreads<CurlHandle>

    public init(connections: Int = 8, timeout: Duration = .seconds(10), idleSeconds: Double = 30) {
        _ = LibCurl.ready
        self.connections = max(1, connections)
        self.timeout = timeout
        threads = BlockingThreads(count: connections, name: "gateway-http", idleSeconds: idleSeconds,
                                  make: CurlHandle.make, release: CurlHandle.release)
    }

    public func perform(_ request: Request) async -> Result<HTTPExchange, HTTPClientError> {
        let timeout = min(self.timeout, request.timeout ?? self.timeout)
        return await threads.run { handle in
            guard let curl = handle.pointer else { return .failure(.failed("libcurl could not start a transfer")) }
            return Self.transfer(curl, request, timeout: timeout)
        }
    }

    /// The response body as libcurl hands it over.
    private final class Sink {
        var bytes: [UInt8] = []
    }

    private static func transfer(_ curl: UnsafeMutableRawPointer, _ request: Request, timeout: Duration) -> Result<HTTPExchange, HTTPClientError> {
        curl_easy_reset(curl)  // keeps the connection cache
        _ = hub_curl_set_string(curl, CURLOPT_URL, request.url)
        _ = hub_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        let milliseconds = Int(timeout.components.seconds) * 1000 + Int(timeout.components.attoseconds / 1_000_000_000_000_000)
        _ = hub_curl_set_long(curl, CURLOPT_TIMEOUT_MS, milliseconds)
        _ = hub_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, min(milliseconds, 5_000))
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers { headers = curl_slist_append(headers, "\(name): \(value)") }
        // curl's "Expect: 100-continue" costs a round trip on small bodies.
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        _ = hub_curl_set_list(curl, CURLOPT_HTTPHEADER, headers)
        if let body = request.body {
            _ = hub_curl_set_post_size(curl, body.count)
            body.withUnsafeBufferPointer { buffer in
                _ = hub_curl_set_pointer(curl, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            }
        }
        if request.method != (request.body == nil ? "GET" : "POST") { _ = hub_curl_set_string(curl, CURLOPT_CUSTOMREQUEST, request.method) }
        let sink = Sink()
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        _ = hub_curl_set_pointer(curl, CURLOPT_WRITEDATA, context.toOpaque())
        _ = hub_curl_set_write_function(curl) { data, size, count, userdata in
            guard let data, let userdata else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(userdata).takeUnretainedValue()
            let length = size * count
            data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
            return length
        }
        let result = curl_easy_perform(curl)
        switch result {
        case CURLE_OK:
            var code = 0
            _ = hub_curl_response_code(curl, &code)
            return .success(HTTPExchange(status: code, body: sink.bytes))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST:
            return .failure(.unreachable(String(cString: curl_easy_strerror(result))))
        default:
            return .failure(.failed(String(cString: curl_easy_strerror(result))))
        }
    }
}

/// One thread's curl easy handle (nil when libcurl could not make one); used only on its thread, where it
/// keeps its connection between transfers (`curl_easy_reset` keeps it too).
public struct CurlHandle: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer?
    public init(_ pointer: UnsafeMutableRawPointer?) { self.pointer = pointer }
    /// A thread's handle for `BlockingThreads`, and its clean-up when the thread ends.
    public static func make() -> CurlHandle { CurlHandle(curl_easy_init()) }
    public static func release(_ handle: CurlHandle) { handle.pointer.map(curl_easy_cleanup) }
}

/// libcurl's process-wide set-up, done once before the first handle (every user of libcurl touches `ready` first).
public enum LibCurl {
    public static let ready: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()
}
