import Foundation
import LocalBroker

/// A local SMTP relay for `hub up`: aiosmtpd (PyPI; the bootstrap installs it
/// into `.tools/python`) writing every message it receives to a maildir, so
/// a local hub's e-mails can be read. Plain SMTP on 127.0.0.1, no AUTH: the
/// e-mail worker of a local hub is told not to require TLS.
public final class SMTPSandbox: @unchecked Sendable {
    public let port: Int
    /// Where the messages land (`new/`, one file per message).
    public let maildir: String
    private let pythonPath: String
    private let arguments: [String]
    private let log: String?
    private let lock = NSLock()
    private var process: Process?

    /// `.tools/python` with aiosmtpd in the working directory or a parent; nil when it is not installed.
    public static func locatePythonPath() -> String? {
        LocalBroker.locateTool(".tools/python") { FileManager.default.fileExists(atPath: $0 + "/aiosmtpd") }
    }

    public static var isInstalled: Bool { locatePythonPath() != nil }

    /// `sizeLimit`: messages larger than this many bytes are refused (552). `script`: a relay of one's own instead of
    /// plain aiosmtpd (a test's STARTTLS and AUTH relay), given python3's arguments for the port and maildir.
    /// `log`: where the server's errors go (nowhere when nil).
    public init(port: Int = 0, sizeLimit: Int? = nil, script: ((_ port: Int, _ maildir: String) -> [String])? = nil, log: String? = nil) throws {
        guard let pythonPath = Self.locatePythonPath() else { throw SandboxError(message: "aiosmtpd is not installed: run 'make setup'") }
        self.pythonPath = pythonPath
        self.port = port == 0 ? try LocalBroker.freePort() : port
        maildir = NSTemporaryDirectory() + "hub-maildir-\(UUID().uuidString.prefix(8).lowercased())"
        arguments = script?(self.port, maildir)
            ?? ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(self.port)"] + (sizeLimit.map { ["--size", String($0)] } ?? [])
            + ["-c", "aiosmtpd.handlers.Mailbox", maildir]
        self.log = log
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// Starts aiosmtpd and returns once it accepts connections.
    public func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = pythonPath
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        if let log, FileManager.default.createFile(atPath: log, contents: nil) {
            process.standardError = FileHandle(forWritingAtPath: log)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        lock.withLock { self.process = process }
        let deadline = Date().addingTimeInterval(30)
        while LocalBroker.portIsFree(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw SandboxError(message: "aiosmtpd did not come up on port \(port)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops the server: SIGTERM (it starts with no signal blocked, so it can take it), SIGKILL after two seconds.
    /// Returns the signal that ended it (nil when it was not running).
    @discardableResult
    public func stop() -> Int32? {
        guard let process = lock.withLock({ () -> Process? in defer { self.process = nil }; return self.process }), process.isRunning else { return nil }
        return process.terminate(grace: 2)
    }

    /// Messages received so far.
    public var received: Int { ((try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []).count }

    deinit { stop() }
}
