import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over POSIX sockets. Every wait goes through poll() with an absolute deadline,
/// so no call can block longer than the timeout that governs it.
enum SocketIO {
    enum ReadResult: Equatable {
        case data(Int)
        case closed      // orderly EOF from the peer
        case timedOut
        case stopped     // the server's stop pipe became readable
        case failed
    }

    // MARK: Listener

    static func makeListener(host: String, port: Int, backlog: Int32 = 128) throws(HTTPServerError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .addressResolution(host: host, message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }

        var lastError = HTTPServerError.addressResolution(host: host, message: "no usable address")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor?.pointee {
            cursor = info.ai_next
            // Non-blocking listener: a connection reset between poll() and accept() must not stall the loop.
            let flags = Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            let fd = socket(info.ai_family, info.ai_socktype | flags, info.ai_protocol)
            guard fd >= 0 else {
                lastError = .socket(operation: "socket", errno: errno)
                continue
            }
            // Lets a restarted hub rebind while old connections sit in TIME_WAIT.
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if bind(fd, info.ai_addr, info.ai_addrlen) != 0 {
                lastError = .socket(operation: "bind", errno: errno)
                close(fd)
                continue
            }
            if listen(fd, backlog) != 0 {
                lastError = .socket(operation: "listen", errno: errno)
                close(fd)
                continue
            }
            return fd
        }
        throw lastError
    }

    static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return 0 }
        return withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6:
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default:
                0
            }
        }
    }

    /// Small responses go out at once instead of waiting for Nagle's algorithm to batch them.
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Names the calling thread, for Foundation and in the OS (`/proc/thread-self/comm`, what `ps` and `perf`
    /// show and what `Thread.current.name` reads back on Linux). Foundation's setter alone names the OS thread only
    /// once the parent has recorded the thread it started; a thread that runs first keeps its parent's name.
    static func nameThisThread(_ name: String) {
        Thread.current.name = name
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Array(name.utf8.prefix(15)).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }  // the kernel keeps 15 bytes
        close(fd)
    }

    /// Keeps sockets from leaking into child processes the hub may spawn.
    static func setCloseOnExec(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }

    // MARK: Waiting

    /// Milliseconds left until `deadline`, rounded up so poll() never wakes just before it; nil once passed.
    static func pollTimeout(until deadline: ContinuousClock.Instant) -> Int32? {
        let remaining = deadline - .now
        guard remaining > .zero else { return nil }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = min(seconds, 86_400) * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(max(1, milliseconds))
    }

    /// True once the stop pipe has been written; it is never drained, so this stays true.
    static func isSignalled(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    // MARK: Reading and writing

    /// Waits until data, EOF, the deadline or (if `stopFD` >= 0) a stop signal, then reads once.
    static func read(_ fd: Int32, into buffer: inout [UInt8], deadline: ContinuousClock.Instant,
                     stopFD: Int32 = -1) -> ReadResult {
        while true {
            guard let timeout = pollTimeout(until: deadline) else { return .timedOut }
            // poll() ignores negative descriptors, so stopFD = -1 simply watches nothing.
            var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&entries, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return .failed
            }
            if ready == 0 { continue }  // loop re-evaluates the deadline
            if entries[1].revents != 0 { return .stopped }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { return .data(count) }
            if count == 0 { return .closed }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { continue }
            return .failed
        }
    }

    /// Sends everything or gives up at `deadline`; MSG_NOSIGNAL turns a vanished peer into EPIPE instead of SIGPIPE.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            if sent < 0 && code == EINTR { continue }
            guard sent < 0, code == EAGAIN || code == EWOULDBLOCK, let timeout = pollTimeout(until: deadline) else {
                return false
            }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&entry, 1, timeout) < 0 && errno != EINTR { return false }
        }
        return true
    }

    /// Half-closes and briefly drains input before the caller closes. Closing with unread input makes
    /// the kernel send RST, which can destroy the response (e.g. a 413) before the client reads it.
    static func lingeringClose(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
        let deadline = ContinuousClock.now + .seconds(1)
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        var drained = 0
        while drained < 1024 * 1024, case .data(let count) = read(fd, into: &scratch, deadline: deadline) {
            drained += count
        }
    }

    /// Over-capacity answer from the accept thread: never waits (MSG_DONTWAIT on an empty send buffer
    /// always fits a few hundred bytes), drains what already arrived to avoid an RST, then closes.
    static func reject(_ fd: Int32, with response: [UInt8]) {
        _ = response.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
        _ = shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count <= 0 { break }
        }
        close(fd)
    }
}
