import Dispatch
import Foundation
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// A small, strict HTTP/1.1 server on POSIX sockets: one accept thread plus one thread per connection,
/// so blocking I/O never starves Swift's cooperative pool, which only runs the async handler.
/// Call `shutdown()` when done; the threads keep the server alive until then.
public final class HTTPServer: Sendable {
    /// Handlers are async so they can await the hub's actors (Kafka producers, health state).
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// Answers on the connection's own thread, or nil to hand the request to the async `Handler`.
    public typealias Immediate = @Sendable (HTTPRequest) -> HTTPResponse?

    /// Limits in force; fixed at init so running connections never see them change.
    public let configuration: HTTPServerConfiguration
    private let handler: Handler
    private let immediate: Immediate?

    private enum Lifecycle { case created, running, stopping, stopped }

    private struct State {
        var lifecycle = Lifecycle.created
        var port = 0
        var stopPipe: (read: Int32, write: Int32) = (-1, -1)
        var connections: [ObjectIdentifier: ConnectionHandler] = [:]
    }

    private let state = PosixMutex(State())
    /// Counts the accept thread and every connection thread, so shutdown can wait for all of them.
    private let threads = DispatchGroup()

    /// The handler receives every request that passed validation; protocol errors never reach it.
    /// `immediate`, when given, sees each request first on the connection's thread.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), immediate: Immediate? = nil, handler: @escaping Handler) {
        self.configuration = configuration
        self.immediate = immediate
        self.handler = handler
    }

    /// Convenience for the common case of serving a fixed routing table.
    public convenience init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), router: HTTPRouter) {
        self.init(configuration: configuration, immediate: router.immediate, handler: router.handler)
    }

    /// The bound port, which differs from the configured one when that was 0; 0 before `start()`.
    public var port: Int {
        state.withLock { $0.port }
    }

    /// Binds and starts accepting. Throws if binding fails, so a port conflict surfaces at startup
    /// rather than as a silently dead endpoint.
    public func start() throws {
        try configuration.validate()
        try state.withLock { state throws(HTTPServerError) in
            guard state.lifecycle == .created else { throw .alreadyStarted }
            state.lifecycle = .stopped  // until fully started, so a failed start cannot be retried half-way
        }
        // MSG_NOSIGNAL covers our sends; ignoring SIGPIPE also covers anything else in the process.
        _ = signal(SIGPIPE, SIG_IGN)

        let listenFD = try SocketIO.makeListener(host: configuration.host, port: configuration.port)
        // Self-pipe: written once at shutdown, never drained, so every poll() that watches it wakes.
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let code = errno
            close(listenFD)
            throw HTTPServerError.socket(operation: "pipe2", errno: code)
        }
        let stopPipe = (read: pipeFDs[0], write: pipeFDs[1])
        SocketIO.setCloseOnExec(stopPipe.read)
        SocketIO.setCloseOnExec(stopPipe.write)
        state.withLock { state in
            state.lifecycle = .running
            state.port = SocketIO.boundPort(listenFD)
            state.stopPipe = stopPipe
        }

        threads.enter()
        let acceptThread = Thread { [self] in
            SocketIO.nameThisThread("http-accept")
            acceptLoop(listenFD: listenFD, stopFD: stopPipe.read)
            threads.leave()
        }
        acceptThread.start()
    }

    /// Stops accepting, closes idle connections at once, lets in-flight requests finish for up to
    /// `configuration.shutdownTimeout`, then cuts whatever is left. Blocks the caller for that bound at most
    /// (plus a short grace for cut threads to exit). Calls after the first return immediately.
    public func shutdown() {
        let stopWrite: Int32? = state.withLock { state in
            switch state.lifecycle {
            case .running:
                state.lifecycle = .stopping
                return state.stopPipe.write
            case .created:
                state.lifecycle = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let stopWrite else { return }
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)

        var finished = threads.wait(timeout: .now() + configuration.shutdownTimeout.timeInterval) == .success
        if !finished {
            state.withLock { state in
                for connection in state.connections.values { connection.forceClose() }
            }
            finished = threads.wait(timeout: .now() + 2) == .success
        }
        state.withLock { state in
            // A thread that somehow outlived the cut may still poll the pipe; leaking two descriptors
            // beats closing one that a later open() could reuse under it.
            if finished {
                close(state.stopPipe.read)
                close(state.stopPipe.write)
            }
            state.stopPipe = (-1, -1)
            state.lifecycle = .stopped
        }
    }

    // MARK: - Accepting

    private func acceptLoop(listenFD: Int32, stopFD: Int32) {
        defer { close(listenFD) }
        var busy = HTTPResponse.text("Server busy, retry later\n", status: 503)
        busy.headers.add(name: "Retry-After", value: "1")
        let rejection = busy.wireBytes(headOnly: false, close: true)

        while true {
            var entries = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
            if poll(&entries, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if entries[1].revents != 0 { return }
            if entries[0].revents != 0 { acceptPending(listenFD: listenFD, stopFD: stopFD, rejection: rejection) }
        }
    }

    /// Accepts until the backlog is empty. Nothing here waits on a client, so a flood of connections
    /// can delay but never block the loop.
    private func acceptPending(listenFD: Int32, stopFD: Int32, rejection: [UInt8]) {
        while true {
            // accept4/pipe2 are not exported by the Glibc module, hence the separate fcntl calls.
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // The pending connection stays queued and poll() would fire again at once; back off briefly.
                    var entry = pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)
                    _ = poll(&entry, 1, 100)
                    return
                default:
                    return  // EAGAIN: backlog drained
                }
            }
            SocketIO.setCloseOnExec(fd)
            SocketIO.setNoDelay(fd)
            let connection = ConnectionHandler(fd: fd, configuration: configuration, immediate: immediate, handler: handler, stopFD: stopFD)
            let key = ObjectIdentifier(connection)
            let admitted = state.withLock { state in
                guard state.lifecycle == .running, state.connections.count < configuration.maxConnections else {
                    return false
                }
                state.connections[key] = connection
                return true
            }
            guard admitted else {
                SocketIO.reject(fd, with: rejection)
                continue
            }
            threads.enter()
            let thread = Thread { [self] in
                SocketIO.nameThisThread("http-connection")
                connection.run()
                // Deregister before closing: forceClose() must never touch a descriptor number that is being reused.
                _ = state.withLock { $0.connections.removeValue(forKey: key) }
                close(fd)
                threads.leave()
            }
            thread.stackSize = 512 * 1024  // the loop itself is shallow; handlers run on the cooperative pool
            thread.start()
        }
    }
}

extension Duration {
    /// Dispatch timeouts still speak TimeInterval.
    var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
