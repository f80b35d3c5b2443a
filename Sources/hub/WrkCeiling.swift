import Foundation

/// wrk, the HTTP load tool the channel issue names beside curl, sent straight
/// at an HTTP gateway emulator (push, e-address): the gateway's own ceiling
/// with a client that spends far less CPU a request than curl's command line
/// or the connector, so more of the machine's cores go to the gateway.
///
/// wrk runs for a time, not a count: `seconds`, with `connections` requests
/// in flight on one thread, each request made by the Lua `request()` of
/// `script`, which must make every request distinct (the gateways answer a
/// repeated idempotency key from memory). A gateway that refused any request
/// (a status other than 2xx or 3xx, or a socket error) fails the measurement.
enum WrkCeiling {
    struct Measured {
        let requests: Int
        let seconds: Double
        var throughput: Double { Double(requests) / seconds }
        /// CPU seconds of wrk, and of this process (the in-process gateway) meanwhile.
        let wrkCPU: Double, processCPU: Double
    }

    /// wrk's path, when it is installed (`make setup` installs it).
    static var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ wrk: String, url: String, connections: Int, seconds: Int, tag: String, script: String) throws -> Measured {
        let scriptPath = NSTemporaryDirectory() + "/bench-wrk-\(tag).lua", outputPath = NSTemporaryDirectory() + "/bench-wrk-\(tag).out"
        defer { try? FileManager.default.removeItem(atPath: scriptPath); try? FileManager.default.removeItem(atPath: outputPath) }
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let (children, own) = (CPUTime.children, CPUTime.own)
        try BenchCommand.runShell("'\(wrk)' -t1 -c\(connections) -d\(seconds)s -s '\(scriptPath)' '\(url)' > '\(outputPath)'")
        let (wrkCPU, processCPU) = (CPUTime.children - children, CPUTime.own - own)
        let output = try String(contentsOfFile: outputPath, encoding: .utf8)
        guard let summary = summary(of: output) else { throw UsageError("could not read wrk's summary:\n\(output)") }
        guard summary.refused == 0 else { throw UsageError("the gateway refused \(summary.refused) of wrk's \(summary.requests) requests:\n\(output)") }
        return Measured(requests: summary.requests, seconds: summary.seconds, wrkCPU: wrkCPU, processCPU: processCPU)
    }

    /// The requests wrk completed, over how long, and how many were refused (non-2xx/3xx answers and socket errors),
    /// from its report ("30907 requests in 1.00s, 5.66MB read", "Non-2xx or 3xx responses: 3",
    /// "Socket errors: connect 0, read 1, write 0, timeout 0"); nil when the report has no such line.
    static func summary(of output: String) -> (requests: Int, seconds: Double, refused: Int)? {
        var requests: Int?, seconds: Double?, refused = 0
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ")
            if words.count >= 4, words[1] == "requests", words[2] == "in" {
                requests = Int(words[0])
                seconds = duration(String(words[3].trimmingCharacters(in: CharacterSet(charactersIn: ","))))
            } else if line.hasPrefix("Non-2xx or 3xx responses:") {
                refused += Int(words.last ?? "") ?? 0
            } else if line.hasPrefix("Socket errors:") {
                refused += line.dropFirst("Socket errors:".count).split(separator: ",")
                    .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
            }
        }
        guard let requests, let seconds, seconds > 0 else { return nil }
        return (requests, seconds, refused)
    }

    /// One of wrk's durations ("512.34ms", "1.00s", "1.50m") in seconds.
    static func duration(_ text: String) -> Double? {
        for (unit, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}
