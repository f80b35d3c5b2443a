import Foundation
import HubLogging
import HubRuntime
import Testing

@Suite("Service group")
struct ServiceGroupTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    /// Runs until told to stop, noting that it was.
    struct Waiting: HubService {
        let name: String
        let stopped: Lines
        func run(shutdown: ShutdownSignal) async throws {
            await shutdown.wait()
            stopped.append(name)
        }
    }

    @Test("stops every service on shutdown and says so at info; a group inside a service says it at debug only")
    func lifecycleLines() async throws {
        for (level, expected) in [(LogLevel.info, 5), (.debug, 0)] {
            let lines = Lines(), stopped = Lines()
            let logger = Logger(component: "test", threshold: .info) { lines.append($0) }
            let group = ServiceGroup(services: [Waiting(name: "first", stopped: stopped), Waiting(name: "second", stopped: stopped)],
                                     logger: logger, signals: [], lifecycleLevel: level)
            let shutdown = ShutdownSignal()
            let running = Task { try await group.run(shutdown: shutdown) }
            try await Task.sleep(for: .milliseconds(50))
            shutdown.trigger()
            try await running.value
            #expect(Set(stopped.all) == ["first", "second"])
            let lifecycle = lines.all.filter { line in ["service starting", "service stopped", "shutting down"].contains { line.contains($0) } }
            #expect(lifecycle.count == expected, "level \(level): \(lifecycle)")
        }
    }
}
