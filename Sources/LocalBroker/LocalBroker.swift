import Foundation
import HubLogging

/// The local Kafka-protocol broker (Tansu, in memory) for `hub up`, the
/// benchmarks and the tests. Production never uses it: there the hub is
/// given `bootstrap.servers` of an Apache Kafka cluster.
public final class LocalBroker: @unchecked Sendable {
    public let port: Int
    public let binary: String
    private let process = Process()
    private let logger: Logger
    private let lock = NSLock()
    private var stopped = false

    public var bootstrapServers: String { "127.0.0.1:\(port)" }
    /// The broker process, for CPU accounting.
    public var processID: pid_t { process.processIdentifier }

    /// Where the broker binary is: `HUB_TANSU`, then `.tools/bin/tansu` in
    /// the working directory or any parent (so tests find it from `.build`).
    public static func locateBinary(from start: String = FileManager.default.currentDirectoryPath) -> String? {
        if let explicit = ProcessInfo.processInfo.environment["HUB_TANSU"], FileManager.default.isExecutableFile(atPath: explicit) {
            return explicit
        }
        return locateTool(".tools/bin/tansu", from: start) { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `relative` (a path under the package root, e.g. `.tools/python`) in the working directory or the
    /// nearest parent where `isThere` holds for it: tools the bootstrap installs, found from `.build` too.
    public static func locateTool(_ relative: String, from start: String = FileManager.default.currentDirectoryPath,
                                  isThere: (String) -> Bool) -> String? {
        var directory = URL(fileURLWithPath: start)
        while true {
            let candidate = directory.appendingPathComponent(relative).path
            if isThere(candidate) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }

    public init(binary: String, port: Int? = nil, logger: Logger) throws {
        self.binary = binary
        self.port = try port ?? LocalBroker.freePort()
        self.logger = logger.named("local-broker")
    }

    /// Starts the broker and returns once it accepts connections.
    public func start(timeout: TimeInterval = 20) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        let url = "tcp://127.0.0.1:\(port)"
        process.arguments = ["broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"]
        var environment = ProcessInfo.processInfo.environment
        environment["RUST_LOG"] = environment["HUB_BROKER_LOG"] ?? "error"
        process.environment = environment
        // Never share our stdout/stderr: a broker outliving this process would
        // hold them open, and whoever reads them (swift test) would wait forever.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        LocalBroker.stopAtExit(process.processIdentifier)
        logger.info("local broker starting", ["bootstrap": bootstrapServers, "pid": String(process.processIdentifier)])
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw LocalBrokerError.exited(process.terminationStatus) }
            if LocalBroker.accepts(port: port) { return }
            usleep(50_000)
        }
        stop()
        throw LocalBrokerError.notReady(port)
    }

    /// Stops the broker (its data is gone: storage is in memory). Idempotent.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        guard process.isRunning else { return }
        process.terminate(grace: 5)
    }

    deinit { stop() }

    nonisolated(unsafe) private static var childrenToStop: [pid_t] = []
    private static let exitLock = NSLock()

    /// A process that ends without calling `stop` (a test run, a crash
    /// through `exit`) still takes its broker with it.
    private static func stopAtExit(_ pid: pid_t) {
        exitLock.lock()
        defer { exitLock.unlock() }
        if childrenToStop.isEmpty {
            atexit {
                LocalBroker.exitLock.lock()
                for child in LocalBroker.childrenToStop { kill(child, SIGTERM) }
                LocalBroker.exitLock.unlock()
            }
        }
        childrenToStop.append(pid)
    }

    /// The broker for a test process: `HUB_TEST_BOOTSTRAP` when set (as
    /// `make test` does), else one Tansu started once and stopped at exit.
    public static let testBootstrap: String = {
        if let given = ProcessInfo.processInfo.environment["HUB_TEST_BOOTSTRAP"], !given.isEmpty { return given }
        guard let binary = locateBinary() else {
            fatalError("no broker for the integration tests: run 'make test', or set HUB_TEST_BOOTSTRAP")
        }
        do {
            let broker = try LocalBroker(binary: binary, logger: Logger(component: "test", threshold: .warning))
            try broker.start()
            testBroker = broker
            return broker.bootstrapServers
        } catch {
            fatalError("the test broker did not start: \(error)")
        }
    }()

    nonisolated(unsafe) private static var testBroker: LocalBroker?

    /// A port free now for a server started a moment later: below the kernel's ephemeral range, where no
    /// outgoing connection can take it in between (under load, with thousands of connections opening, a
    /// port the kernel handed out from that range was taken before Kannel bound it). Falls back to one the
    /// kernel picks when none below the range binds.
    public static func freePort() throws -> Int {
        let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32768
        if ephemeralStart > 12_000 {
            for _ in 0 ..< 64 {
                let port = Int.random(in: 10_000 ..< ephemeralStart)
                if boundPort(port) == port { return port }
            }
        }
        guard let port = boundPort(0) else { throw LocalBrokerError.noPort }
        return port
    }

    /// Binds a socket to 127.0.0.1:`port` (0: the kernel picks), reads the port back and closes it; nil when it does not bind.
    private static func boundPort(_ port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Nothing listens on `port` on the loopback address.
    public static func portIsFree(_ port: Int) -> Bool { !accepts(port: port) }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public enum LocalBrokerError: Error, CustomStringConvertible {
    case exited(Int32)
    case notReady(Int)
    case noPort
    case notInstalled

    public var description: String {
        switch self {
        case .exited(let status): "the local broker exited at start-up with status \(status)"
        case .notReady(let port): "the local broker did not accept connections on port \(port) in time"
        case .noPort: "no free local port"
        case .notInstalled: "the local broker (Tansu) is not installed: run 'make setup' (Deploy/local/bootstrap.sh)"
        }
    }
}
