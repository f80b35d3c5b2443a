import Foundation
import Topics

extension CaseState {
    /// `hub status show`'s text: where the case is and how it stands at `now`. An open case keeps
    /// ageing after its latest event, so its time open, its current step's time and the legal
    /// maximum are read against `now`; what `status.current` stored with the latest event (elapsed
    /// time, forecast) is labelled as such.
    public func summary(asOf now: Date) -> String {
        func days(_ seconds: Double) -> String { String(format: "%.1f d", seconds / 86_400) }
        let limits = "expected \(expectedDays.map { days($0 * 86_400) } ?? "-")  legal maximum \(legalMaximumDays.map { days($0 * 86_400) } ?? "-")"
        let breach = slaBreached(asOf: now) ? "  PAST THE LEGAL MAXIMUM" : ""
        var lines = [
            "case \(kafkaKey)  service \(serviceId)  channel \(channel.rawValue)",
            "status \(status.rawValue)\(step.map { " (step \($0))" } ?? "")  iteration \(iteration)  latest event \(RFC3339Timestamp.format(lastEventAt))",
        ]
        if status.isClosed {
            lines.append("took \(days(elapsedSeconds))  \(limits)\(breach)")
        } else {
            lines.append("open \(days(elapsedSeconds(asOf: now))) (\(days(elapsedSeconds)) at the latest event)  \(limits)\(breach)")
            if let forecast = forecastRemainingSeconds { lines.append("forecast remaining at the latest event \(days(forecast))") }
        }
        lines.append("steps:")
        // Only the last period can be open (`secondsInCurrentStep` is its time so far).
        let ongoing = secondsInCurrentStep(asOf: now).map { "\(days($0)) so far" } ?? "ongoing"
        for period in periods {
            let time = period.leftAt != nil ? days(period.seconds) : ongoing
            lines.append("  " + period.key.padding(toLength: 20, withPad: " ", startingAt: 0) + " "
                         + period.status.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + " " + time)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
