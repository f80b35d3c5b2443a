import Foundation
import GatewayHTTP
import LocalBroker

/// `hub sandbox sms`: a real SMS gateway on this machine, for tests and
/// integrators: Kannel's `bearerbox` and `smsbox` (Debian's `kannel`) with
/// `fakesmsc` (`kannel-extras`) playing the operator's SMSC. Messages sent to
/// `sendURL` arrive at fakesmsc, which logs each part it receives; `received`
/// reads that log back and joins concatenated parts, so a test sees the texts
/// a handset would show. Delivery reports go wherever each send's `dlr-url`
/// says (fakesmsc acknowledges and delivers every message).
public final class KannelSandbox: @unchecked Sendable {
    public let directory: String
    public let adminPort: Int, smsboxPort: Int, smscPort: Int, sendPort: Int
    public let username = "hub"
    public let password: String
    /// Kannel's `max-messages`: parts per message.
    public let maxParts: Int
    private let lock = NSLock()
    private var processes: [String: Process] = [:]

    public static let bearerbox = "/usr/sbin/bearerbox", smsbox = "/usr/sbin/smsbox", fakesmsc = "/usr/lib/kannel/test/fakesmsc"

    public static var isInstalled: Bool { [bearerbox, smsbox, fakesmsc].allSatisfy(FileManager.default.isExecutableFile(atPath:)) }

    /// `sendPort` 0 picks a free one.
    public init(sendPort: Int = 0, maxParts: Int = 10) throws {
        directory = NSTemporaryDirectory() + "kannel-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        adminPort = try LocalBroker.freePort()
        smsboxPort = try LocalBroker.freePort()
        smscPort = try LocalBroker.freePort()
        self.sendPort = sendPort == 0 ? try LocalBroker.freePort() : sendPort
        password = "sandbox-" + UUID().uuidString.prefix(8).lowercased()
        self.maxParts = maxParts
        try configuration.write(toFile: directory + "/kannel.conf", atomically: true, encoding: .utf8)
    }

    public var sendURL: String { "http://127.0.0.1:\(sendPort)/cgi-bin/sendsms" }
    /// The URL in the form `channel.sms.gateways` takes.
    public var gatewaySetting: String { "http://\(username):\(password)@127.0.0.1:\(sendPort)/cgi-bin/sendsms" }

    /// The configuration the sandbox runs: the settings gateways.md found to matter, and Deploy/kannel/kannel.conf's shape.
    var configuration: String {
        """
        group = core
        admin-port = \(adminPort)
        admin-password = \(password)
        status-password = \(password)
        smsbox-port = \(smsboxPort)
        box-allow-ip = "127.0.0.1"
        dlr-storage = internal
        log-file = "\(directory)/bearerbox.log"
        log-level = 2

        group = smsc
        smsc = fake
        smsc-id = operator
        port = \(smscPort)
        connect-allow-ip = "127.0.0.1"

        group = smsbox
        bearerbox-host = 127.0.0.1
        sendsms-port = \(sendPort)
        log-file = "\(directory)/smsbox.log"
        log-level = 2
        http-request-retry = 5
        http-queue-delay = 2

        group = sendsms-user
        username = \(username)
        password = \(password)
        concatenation = true
        max-messages = \(maxParts)

        group = sms-service
        keyword = default
        text = "This number does not take replies."
        catch-all = true
        omit-empty = true

        """
    }

    /// Starts the three programs and waits until a send would be taken.
    public func start() async throws {
        try launch("bearerbox", Self.bearerbox, Self.quiet + [directory + "/kannel.conf"])
        // smsbox and fakesmsc give up at once when bearerbox is not listening yet.
        try await waitFor { Self.accepts(self.adminPort) && Self.accepts(self.smsboxPort) && Self.accepts(self.smscPort) }
        try launch("smsbox", Self.smsbox, Self.quiet + [directory + "/kannel.conf"])
        try launch("fakesmsc", Self.fakesmsc, ["-H", "127.0.0.1", "-r", String(smscPort), "-m", "0", "100 200 text nop"])
        try await waitFor {
            guard Self.accepts(self.sendPort) else { return false }
            let status = await self.status()
            return status.contains("(online") && status.contains("smsbox:")
        }
    }

    /// Stops smsbox only: sends are refused (connection refused) until `startSMSBox`.
    /// What bearerbox and smsbox print (`-v`): warnings and worse. Kannel's default is debug, which dumps every
    /// HTTP exchange as hex (about 50 KB per SMS with a delivery report) and costs smsbox more CPU than the work.
    static let quiet = ["-v", "2"]

    public func stopSMSBox() { stop("smsbox") }

    public func startSMSBox() async throws {
        try launch("smsbox", Self.smsbox, Self.quiet + [directory + "/kannel.conf"])
        try await waitFor { Self.accepts(self.sendPort) ? await self.status().contains("smsbox:") : false }
    }

    public func stop() {
        for name in ["smsbox", "fakesmsc", "bearerbox"] { stop(name) }
    }

    /// bearerbox's status page (`/status.txt` on the admin port).
    public func status() async -> String {
        (try? await http.perform(.init(url: "http://127.0.0.1:\(adminPort)/status.txt?password=\(password)")).get().text) ?? ""
    }

    private let http = CurlHTTPClient(connections: 1, timeout: .seconds(2), idleSeconds: 5)

    /// One message as the handset shows it: concatenated parts joined.
    public struct Received: Sendable, Hashable {
        public let from: String
        public let to: String
        public let text: String
        /// Parts it came in, and whether they were UCS-2.
        public let parts: Int
        public let ucs2: Bool
    }

    /// What fakesmsc has received so far. A concatenated message is whole once all its parts are in; parts of
    /// unfinished ones are left out.
    public var received: [Received] {
        let log = (try? String(contentsOfFile: directory + "/fakesmsc.log", encoding: .utf8)) ?? ""
        var whole: [Received] = []
        var pending: [String: [Int: [UInt8]]] = [:]
        for line in log.split(separator: "\n") {
            guard let open = line.range(of: ": Got message "), let start = line[open.upperBound...].firstIndex(of: "<"), line.hasSuffix(">") else { continue }
            let fields = line[line.index(after: start) ..< line.index(before: line.endIndex)].split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 4 else { continue }
            let from = String(fields[0]), to = String(fields[1])
            switch fields[2] {
            case "text":
                whole.append(Received(from: from, to: to, text: String(fields[3]), parts: 1, ucs2: false))
            case "ucs-2":
                whole.append(Received(from: from, to: to, text: Self.utf16(Self.decode(fields[3])), parts: 1, ucs2: true))
            case "udh":
                let rest = fields[3].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
                guard rest.count == 3, rest[1] == "data" else { continue }
                let udh = Self.decode(rest[0])
                // 05 00 03 ref total n: the concatenation element.
                guard udh.count >= 6, udh[1] == 0, udh[2] == 3 else { continue }
                let key = "\(from) \(to) \(udh[3]) \(udh[4])"
                pending[key, default: [:]][Int(udh[5])] = Self.decode(rest[2])
                if let parts = pending[key], parts.count == Int(udh[4]) {
                    let bytes = (1 ... Int(udh[4])).flatMap { parts[$0] ?? [] }
                    let ucs2 = bytes.count % 2 == 0 && bytes.enumerated().contains { $0.offset % 2 == 0 && $0.element == 0 }
                    whole.append(Received(from: from, to: to, text: ucs2 ? Self.utf16(bytes) : String(decoding: bytes, as: UTF8.self),
                                          parts: Int(udh[4]), ucs2: ucs2))
                    pending[key] = nil
                }
            default: continue
            }
        }
        return whole
    }

    /// fakesmsc's URL encoding: `+` is a space, `%XX` a byte.
    static func decode(_ text: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let end = utf8.index(index, offsetBy: 3, limitedBy: utf8.endIndex),
               let value = UInt8(String(decoding: utf8[utf8.index(after: index) ..< end], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index = end
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return bytes
    }

    static func utf16(_ bytes: [UInt8]) -> String {
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        return String(decoding: units, as: UTF16.self)
    }

    private func launch(_ name: String, _ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        // bearerbox and smsbox log to their log-file; what they print goes to <name>.out. fakesmsc logs what it receives.
        let path = directory + (name == "fakesmsc" ? "/fakesmsc.log" : "/\(name).out")
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = FileHandle(forWritingAtPath: path)
        handle?.seekToEndOfFile()
        process.standardOutput = handle ?? FileHandle.nullDevice
        process.standardError = handle ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        lock.withLock { processes[name] = process }
    }

    private func stop(_ name: String) {
        guard let process = lock.withLock({ processes.removeValue(forKey: name) }) else { return }
        guard process.isRunning else { return }
        // bearerbox's orderly shutdown can wait long on queued messages: a second's grace, then SIGKILL.
        process.terminate(grace: 1)
    }

    private func waitFor(seconds: Double = 30, _ condition: @escaping @Sendable () async -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SandboxError(message: "Kannel did not come up within \(Int(seconds)) s; logs in \(directory)")
    }

    static func accepts(_ port: Int) -> Bool { !LocalBroker.portIsFree(port) }

    deinit { stop() }
}

/// A sandbox (Kannel, the SMTP relay) that could not be started, and why.
public struct SandboxError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
