import Dispatch
import Foundation
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// Serves one accepted socket on its own thread: blocking reads and writes happen here, never on
/// Swift's cooperative pool; only an async handler's call hops onto the pool (a blocking route
/// answers right here).
final class ConnectionHandler: Sendable {
    let fd: Int32
    private let configuration: HTTPServerConfiguration
    private let handler: HTTPServer.Handler
    private let immediate: HTTPServer.Immediate?
    private let stopFD: Int32
    private let acceptedAt: ContinuousClock.Instant

    private struct State {
        var forced = false
        var waiting: DispatchSemaphore?
    }
    private let state = PosixMutex(State())

    init(fd: Int32, configuration: HTTPServerConfiguration, immediate: HTTPServer.Immediate?, handler: @escaping HTTPServer.Handler, stopFD: Int32) {
        self.fd = fd
        self.configuration = configuration
        self.immediate = immediate
        self.handler = handler
        self.stopFD = stopFD
        self.acceptedAt = .now
    }

    /// Called by shutdown() after its grace period: wakes this thread wherever it waits. The socket is
    /// only shut down, not closed, so the descriptor number cannot be reused under the thread's feet.
    func forceClose() {
        let waiting = state.withLock { state in
            state.forced = true
            return state.waiting
        }
        _ = shutdown(fd, Int32(SHUT_RDWR))
        waiting?.signal()
    }

    /// The request loop; returns when the connection should be closed (the caller closes the fd).
    func run() {
        var parser = HTTPRequestParser(maxHeaderBytes: configuration.maxHeaderBytes,
                                       maxBodyBytes: configuration.maxBodyBytes)
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        var served = 0
        // A new connection must deliver its first head within headerTimeout of accept; later heads get
        // headerTimeout from their first byte, after at most idleTimeout of silence.
        var headStart: ContinuousClock.Instant? = acceptedAt
        var bodyStart: ContinuousClock.Instant?
        var idleSince = ContinuousClock.now

        while true {
            switch parser.next() {
            case .request(let request):
                served += 1
                guard let response = invokeHandler(request) else { return }
                // Checked after the handler, so a request that was in flight during shutdown announces the close.
                let keepAlive = Self.wantsKeepAlive(request)
                    && served < configuration.maxRequestsPerConnection
                    && !SocketIO.isSignalled(stopFD)
                let close = !keepAlive || response.requestsClose
                let bytes = response.wireBytes(headOnly: request.method == "HEAD", close: close,
                                               keepAlive: !close && request.version == "HTTP/1.0")
                guard SocketIO.writeAll(fd, bytes, deadline: .now + configuration.writeTimeout) else { return }
                if close {
                    SocketIO.lingeringClose(fd)
                    return
                }
                headStart = nil
                bodyStart = nil
                idleSince = .now

            case .failure(let status, let reason):
                respondAndClose(.text("\(reason)\n", status: status))
                return

            case .needMore:
                let deadline: ContinuousClock.Instant
                var answersTimeout = true
                switch parser.phase {
                case .idle:
                    // Nothing of a request has arrived: closing silently is the polite keep-alive timeout.
                    answersTimeout = false
                    deadline = headStart.map { $0 + configuration.headerTimeout } ?? idleSince + configuration.idleTimeout
                case .head:
                    let started = headStart ?? .now
                    headStart = started
                    deadline = started + configuration.headerTimeout
                case .body:
                    let started = bodyStart ?? .now
                    if bodyStart == nil {
                        bodyStart = started
                        if parser.expectsContinue {
                            let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                            guard SocketIO.writeAll(fd, interim, deadline: .now + configuration.writeTimeout) else { return }
                        }
                    }
                    deadline = started + configuration.bodyTimeout
                }

                switch SocketIO.read(fd, into: &scratch, deadline: deadline, stopFD: stopFD) {
                case .data(let count):
                    parser.append(scratch[0..<count])
                case .timedOut:
                    if answersTimeout { respondAndClose(.text("request not received in time\n", status: 408)) }
                    return
                case .closed, .stopped, .failed:
                    // Shutdown abandons requests still being received; only handler work counts as in flight.
                    return
                }
            }
        }
    }

    private func respondAndClose(_ response: HTTPResponse) {
        let bytes = response.wireBytes(headOnly: false, close: true)
        if SocketIO.writeAll(fd, bytes, deadline: .now + configuration.writeTimeout) {
            SocketIO.lingeringClose(fd)
        }
    }

    /// HTTP/1.1 is persistent unless told otherwise; HTTP/1.0 only when it asks (RFC 9112 §9.3).
    private static func wantsKeepAlive(_ request: HTTPRequest) -> Bool {
        if request.version == "HTTP/1.1" {
            return !request.headers.containsToken("close", inField: "Connection")
        }
        return request.headers.containsToken("keep-alive", inField: "Connection")
    }

    /// Answers with the blocking route when there is one; else runs the async handler in a Task and
    /// parks this (dedicated) thread on a semaphore until it finishes. Returns nil if forceClose()
    /// gave up on the request first.
    private func invokeHandler(_ request: HTTPRequest) -> HTTPResponse? {
        if let response = immediate?(request) { return response }
        let done = DispatchSemaphore(value: 0)
        let slot = ResponseSlot()
        let admitted = state.withLock { state in
            state.waiting = done
            return !state.forced
        }
        guard admitted else { return nil }
        let handler = self.handler
        let task = Task {
            let response = await handler(request)
            slot.store(response)
            done.signal()
        }
        done.wait()
        state.withLock { $0.waiting = nil }
        if let response = slot.take() { return response }
        task.cancel()
        return nil
    }
}

/// Hand-over point between the handler task and the connection thread.
private final class ResponseSlot: Sendable {
    private let value = PosixMutex<HTTPResponse?>(nil)
    func store(_ response: HTTPResponse) { value.withLock { $0 = response } }
    func take() -> HTTPResponse? { value.withLock { $0.take() } }
}
