import Foundation
import Locking

/// A JSON-lines logger: one object per line with time, level, component and
/// message, plus string fields. Personal data must be masked by the caller
/// with `Mask` before it becomes a field; the logger never sees raw codes.
public struct Logger: Sendable {
    /// Where finished lines go; tests capture them, the hub writes stderr.
    public typealias Sink = @Sendable (String) -> Void

    public let component: String
    public let threshold: LogLevel
    private let sink: Sink
    private let fields: [String: String]

    public init(component: String, threshold: LogLevel = .info, sink: @escaping Sink = Logger.standardError) {
        self.component = component
        self.threshold = threshold
        self.sink = sink
        self.fields = [:]
    }

    private init(component: String, threshold: LogLevel, sink: @escaping Sink, fields: [String: String]) {
        self.component = component
        self.threshold = threshold
        self.sink = sink
        self.fields = fields
    }

    /// A logger for a sub-component that keeps this one's sink, level and fields.
    public func named(_ component: String) -> Logger {
        Logger(component: component, threshold: threshold, sink: sink, fields: fields)
    }

    /// A logger that adds `extra` to every line it writes.
    public func with(_ extra: [String: String]) -> Logger {
        Logger(component: component, threshold: threshold, sink: sink, fields: fields.merging(extra) { $1 })
    }

    /// A logger that writes only lines at `level` or above (and what this one would write anyway, if stricter):
    /// for a one-shot command whose library's routine lines (a consumer's assignment) are noise.
    public func atLeast(_ level: LogLevel) -> Logger {
        Logger(component: component, threshold: max(threshold, level), sink: sink, fields: fields)
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= threshold }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        guard isEnabled(level) else { return }
        var object: [String: String] = fields.merging(extra) { $1 }
        object["ts"] = Logger.timestamp()
        object["level"] = level.description
        object["component"] = component
        object["msg"] = message()
        sink(Logger.render(object))
    }

    public func trace(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.trace, message(), extra) }
    public func debug(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.debug, message(), extra) }
    public func info(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.info, message(), extra) }
    public func notice(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.notice, message(), extra) }
    public func warning(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.warning, message(), extra) }
    public func error(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.error, message(), extra) }
    public func critical(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.critical, message(), extra) }

    /// Writes each line to standard error in one `write`, so lines from
    /// several threads never interleave.
    public static let standardError: Sink = { line in
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Discards everything; for tools whose output is the product.
    public static let discard: Sink = { _ in }

    /// Keys first in a fixed order so lines read well, the rest sorted.
    static func render(_ object: [String: String]) -> String {
        let leading = ["ts", "level", "component", "msg"]
        var parts: [String] = []
        for key in leading { if let value = object[key] { parts.append(pair(key, value)) } }
        for key in object.keys.sorted() where !leading.contains(key) { parts.append(pair(key, object[key]!)) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private static func pair(_ key: String, _ value: String) -> String {
        "\"\(JSONText.escape(key))\":\"\(JSONText.escape(value))\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = now.tv_nsec / 1_000_000
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }
}

/// Collects lines in memory; tests use it to check what was (not) logged.
public final class LogCapture: Sendable {
    private let storage = PosixMutex<[String]>([])

    public init() {}

    public var sink: Logger.Sink { { [self] line in storage.withLock { $0.append(line) } } }

    public var lines: [String] { storage.withLock { $0 } }
}
