import Foundation
import Topics

/// The yearly MK 399 figures agencies compile by hand today, from the cases'
/// current states: per group (service, channel, agency, or a combination),
/// cases opened in the period and how they stand, with median and 90th
/// percentile time to completion against the expected duration.
public struct CaseReport: Sendable {
    public enum Dimension: String, Sendable, CaseIterable {
        case service, channel, agency
    }

    public struct Row: Sendable, Hashable, Codable {
        /// Dimension name -> value, e.g. ["service": "PMLP-PASE"].
        public var group: [String: String]
        public var submitted = 0
        public var completed = 0
        public var refused = 0
        public var withdrawn = 0
        public var open = 0
        /// Days from the first event to completion, completed cases only.
        public var medianDaysToCompletion: Double?
        public var p90DaysToCompletion: Double?
        /// Mean of the catalogue's expected days over the group's cases.
        public var expectedDays: Double?
        /// Cases past their legal maximum: closed after it, or still open beyond it at the report's time.
        public var slaBreaches = 0
    }

    public let rows: [Row]

    /// Cases whose first event falls in `from ..< to`, grouped by `dimensions`, standing as at `asOf`
    /// (the report's time: open cases keep ageing, and may pass their legal maximum, with no event).
    public init(cases: [CaseState], from: Date, to: Date, by dimensions: [Dimension], asOf now: Date) {
        var groups: [[String: String]: [CaseState]] = [:]
        for state in cases where state.openedAt >= from && state.openedAt < to {
            var group: [String: String] = [:]
            for dimension in dimensions {
                switch dimension {
                case .service: group["service"] = state.serviceId
                case .channel: group["channel"] = state.channel.rawValue
                case .agency: group["agency"] = state.agency
                }
            }
            groups[group, default: []].append(state)
        }
        rows = groups.map { group, states in
            var row = Row(group: group)
            row.submitted = states.count
            var days: [Double] = []
            var expected: [Double] = []
            for state in states {
                switch state.status {
                case .completed:
                    row.completed += 1
                    days.append(state.elapsedSeconds / 86_400)
                case .refused: row.refused += 1
                case .withdrawn: row.withdrawn += 1
                default: row.open += 1
                }
                if state.slaBreached(asOf: now) { row.slaBreaches += 1 }
                if let value = state.expectedDays { expected.append(value) }
            }
            days.sort()
            row.medianDaysToCompletion = Self.percentile(days, 0.5)
            row.p90DaysToCompletion = Self.percentile(days, 0.9)
            row.expectedDays = expected.isEmpty ? nil : expected.reduce(0, +) / Double(expected.count)
            return row
        }.sorted { $0.group.sorted(by: { $0.key < $1.key }).map(\.value).joined(separator: "/")
                   < $1.group.sorted(by: { $0.key < $1.key }).map(\.value).joined(separator: "/") }
    }

    /// Linear interpolation between closest ranks (the common "type 7" definition).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    /// The header and one line of cells per row, unquoted: what `csv` and `table` lay out.
    public func cells(dimensions: [Dimension]) -> [[String]] {
        let header = dimensions.map(\.rawValue) + ["submitted", "completed", "refused", "withdrawn", "open",
                                                   "median_days_to_completion", "p90_days_to_completion", "expected_days", "sla_breaches"]
        return [header] + rows.map { row in
            dimensions.map { row.group[$0.rawValue] ?? "" }
                + [row.submitted, row.completed, row.refused, row.withdrawn, row.open].map(String.init)
                + [row.medianDaysToCompletion, row.p90DaysToCompletion, row.expectedDays].map { $0.map { String(format: "%.2f", $0) } ?? "" }
                + [String(row.slaBreaches)]
        }
    }

    public func csv(dimensions: [Dimension]) -> String {
        cells(dimensions: dimensions).map { $0.map(Self.csvCell).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// For a terminal: each column as wide as its widest cell, two spaces apart; the groups' names
    /// left-aligned, the figures right-aligned.
    public func table(dimensions: [Dimension]) -> String {
        let lines = cells(dimensions: dimensions)
        let widths = lines[0].indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < dimensions.count ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func csvCell(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
