import HubLogging
import Locking

/// Counters and gauges rendered in Prometheus' text format for `/metrics`.
/// Business metrics (cases per agency, dead letters per reason) and technical
/// ones (records in/out, consumer lag) live side by side.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable { case counter, gauge }

    private struct Family {
        let kind: Kind
        let help: String
        /// Keyed by the labels themselves; their text is rendered only for `/metrics`.
        var samples: [[String: String]: Double] = [:]
    }

    private let families = PosixMutex<[String: Family]>([:])
    private let collectors = PosixMutex<[@Sendable (MetricsRegistry) -> Void]>([])

    public init() {}

    /// Adds `amount` to a counter; labels are rendered sorted by name.
    public func increment(_ name: String, by amount: Double = 1, labels: [String: String] = [:], help: String = "") {
        update(name, kind: .counter, help: help, labels: labels) { $0 += amount }
    }

    public func set(_ name: String, _ value: Double, labels: [String: String] = [:], help: String = "") {
        update(name, kind: .gauge, help: help, labels: labels) { $0 = value }
    }

    /// Called before each rendering, to refresh gauges read from elsewhere (lag).
    public func addCollector(_ collector: @escaping @Sendable (MetricsRegistry) -> Void) {
        collectors.withLock { $0.append(collector) }
    }

    /// Clears a gauge family's samples (partitions that moved away).
    public func reset(_ name: String) {
        families.withLock { _ = $0[name]?.samples.removeAll() }
    }

    public func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        families.withLock { $0[name]?.samples[labels] }
    }

    private func update(_ name: String, kind: Kind, help: String, labels: [String: String], _ change: (inout Double) -> Void) {
        families.withLock { families in
            if families[name] == nil { families[name] = Family(kind: kind, help: help) }
            change(&families[name]!.samples[labels, default: 0])
        }
    }

    public func render() -> String {
        for collector in collectors.withLock({ $0 }) { collector(self) }
        return families.withLock { families in
            var out = ""
            for name in families.keys.sorted() {
                let family = families[name]!
                if !family.help.isEmpty { out += "# HELP \(name) \(family.help)\n" }
                out += "# TYPE \(name) \(family.kind.rawValue)\n"
                let samples = family.samples.map { (text: Self.labelText($0.key), value: $0.value) }.sorted { $0.text < $1.text }
                for sample in samples {
                    out += "\(name)\(sample.text) \(Self.number(sample.value))\n"
                }
            }
            return out
        }
    }

    static func labelText(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "" }
        let parts = labels.keys.sorted().map { key -> String in
            let value = labels[key]!.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(value)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
