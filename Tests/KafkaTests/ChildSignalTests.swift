import Foundation
import HubLogging
import LocalBroker
import Testing

/// Children launched from Swift tasks (Dispatch worker threads, which block nearly every signal) start
/// with nothing blocked, so SIGTERM stops them: the local broker's `stop` no longer waits out its five
/// seconds for a SIGKILL.
@Suite("Child processes receive signals")
struct ChildSignalTests {
    /// The child's own blocked-signal mask, as /proc shows it (hex).
    static func blockedMask(_ launch: (Process) throws -> Void) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/grep")
        process.arguments = ["SigBlk", "/proc/self/status"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try launch(process)
        process.waitUntilExit()
        let line = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return line.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? line
    }

    @Test("launched from a task, a child blocks no signal")
    func nothingBlocked() async throws {
        let mask = try await Task.detached { try Self.blockedMask { try $0.runWithSignalsUnblocked() } }.value
        #expect(mask == "0000000000000000")
    }

    @Test("the local broker stops on SIGTERM, well before stop's SIGKILL after five seconds")
    func brokerStopsOnTerm() async throws {
        let binary = try #require(LocalBroker.locateBinary(), "the bootstrap installs the broker")
        let broker = try LocalBroker(binary: binary, logger: Logger(component: "test", threshold: .warning))
        try await Task.detached { try broker.start() }.value
        let status = try String(contentsOfFile: "/proc/\(broker.processID)/status", encoding: .utf8)
        #expect(status.contains("SigBlk:\t0000000000000000"))
        let start = Date()
        broker.stop()
        #expect(Date().timeIntervalSince(start) < 4, "stopped by SIGTERM, not by the SIGKILL after 5 s")
    }
}
