import Foundation
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking client work (sockets, curl, shutdown) on a fresh thread. The cooperative pool has
/// only as many threads as cores (2 here); blocking it would starve the server's handler tasks.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Handlers shared by the socket tests.
func makeTestRouter() -> HTTPRouter {
    var router = HTTPRouter()
    router.register("GET", "/hello") { _ in .text("hello") }
    router.register("POST", "/echo") { request in
        HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.register("GET", "/query") { request in .text(request.queryValue("name") ?? "none") }
    router.register("GET", "/slow") { _ in
        try? await Task.sleep(for: .milliseconds(300))
        return .text("slow done")
    }
    // Long enough that shutdown surely starts while it runs, even on a loaded machine.
    router.register("GET", "/slower") { _ in
        try? await Task.sleep(for: .milliseconds(1500))
        return .text("slow done")
    }
    return router
}

func startServer(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                 router: HTTPRouter = makeTestRouter()) throws -> HTTPServer {
    let server = HTTPServer(configuration: configuration, router: router)
    try server.start()
    return server
}

/// A response as seen on the wire.
struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]   // lower-cased names; tests only look at single-valued fields
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Minimal blocking HTTP client on a raw socket, so tests control exactly which bytes are sent.
/// Only ever used from one thread at a time (one `onThread` step after another).
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        // `self.fd` is assigned only on success: if init threw after that, deinit would close the
        // descriptor a second time, possibly one another test has just been given.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestFailure("connect failed: errno \(code)")
        }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// Sends FIN now, as a client closing its side would; the descriptor itself is closed in deinit.
    func shutdownNow() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// One read with a timeout; nil on EOF (or reset, which tests treat as closed too).
    private func receive(timeout: Double) throws -> [UInt8]? {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, Int32(timeout * 1000))
        guard ready > 0 else { throw TestFailure("no data within \(timeout) s") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return nil }
        return Array(buffer[0..<count])
    }

    /// Reads one response (Content-Length framed, as this server always sends).
    func readResponse(timeout: Double = 5, headOnly: Bool = false) throws -> RawResponse {
        let deadline = Date().addingTimeInterval(timeout)
        func fill() throws {
            guard let chunk = try receive(timeout: max(0.01, deadline.timeIntervalSinceNow)) else {
                throw TestFailure("connection closed mid-response")
            }
            pending += chunk
        }
        let terminator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if let range = pending.firstRange(of: terminator) { headEnd = range.upperBound } else { try fill() }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line \(head)") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw TestFailure("bad header line \(line)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = headOnly ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        while pending.count < headEnd! + length { try fill() }
        let body = Array(pending[headEnd!..<(headEnd! + length)])
        pending.removeFirst(headEnd! + length)
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// True if the peer closes (EOF or reset) within `timeout` without sending anything more.
    func isClosedByPeer(timeout: Double = 5) -> Bool {
        guard pending.isEmpty else { return false }
        return (try? receive(timeout: timeout)) == .some(nil)
    }
}

/// Runs /usr/bin/curl and returns (status, body). The proxy is disabled so the environment cannot reroute it.
func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["--silent", "--show-error", "--noproxy", "*", "--max-time", "10",
                         "--write-out", "\n%{http_code}"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let split = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: split)...]) else {
        throw TestFailure("unexpected curl output: \(text)")
    }
    return (status, String(text[..<split]))
}
