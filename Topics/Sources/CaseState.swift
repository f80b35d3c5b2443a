import Foundation

/// A case's current state as `status.current` holds it (compacted by
/// `<AGENCY>/<caseId>`): where it is, how long each step took, and how it
/// stands against the catalogue's expected and legal-maximum durations.
/// It carries no personal data: the client stays in `status.history`.
public struct CaseState: Codable, Sendable, Hashable {
    public var agency: String
    public var caseId: String
    public var serviceId: String
    public var channel: StatusChannel
    public var status: CaseStatus
    public var step: String?
    /// 1 for the first pass; a reopened case counts up.
    public var iteration: Int
    /// When the first event of the case happened.
    public var openedAt: Date
    /// When the latest applied event happened.
    public var lastEventAt: Date
    public var lastEventId: UUID
    /// Time in each step (or status, where the agency names no step), in order of first entry.
    public var periods: [StepPeriod]
    /// Seconds from the first event to the latest one (`elapsedSeconds(asOf:)`: to now, while open).
    public var elapsedSeconds: Double
    public var expectedDays: Double?
    public var legalMaximumDays: Double?
    /// Elapsed time exceeded the legal maximum at the latest event (`slaBreached(asOf:)`: at any time).
    public var slaBreached: Bool
    /// Expected seconds still to go, from the catalogue's step and total
    /// durations; 0 once closed, nil where the catalogue gives no durations.
    public var forecastRemainingSeconds: Double?
    /// Recent event ids, so a repeated event is recognised after a restart.
    public var recentEventIds: [UUID]

    public init(agency: String, caseId: String, serviceId: String, channel: StatusChannel, status: CaseStatus,
                step: String?, iteration: Int, openedAt: Date, lastEventAt: Date, lastEventId: UUID,
                periods: [StepPeriod], elapsedSeconds: Double, expectedDays: Double?, legalMaximumDays: Double?,
                slaBreached: Bool, forecastRemainingSeconds: Double?, recentEventIds: [UUID]) {
        self.agency = agency
        self.caseId = caseId
        self.serviceId = serviceId
        self.channel = channel
        self.status = status
        self.step = step
        self.iteration = iteration
        self.openedAt = openedAt
        self.lastEventAt = lastEventAt
        self.lastEventId = lastEventId
        self.periods = periods
        self.elapsedSeconds = elapsedSeconds
        self.expectedDays = expectedDays
        self.legalMaximumDays = legalMaximumDays
        self.slaBreached = slaBreached
        self.forecastRemainingSeconds = forecastRemainingSeconds
        self.recentEventIds = recentEventIds
    }

    public var kafkaKey: String { "\(agency)/\(caseId)" }

    /// Seconds from the first event to `now` while the case is open (it keeps ageing with no event), to
    /// its closing event once closed (`elapsedSeconds`). Never less than `elapsedSeconds`.
    public func elapsedSeconds(asOf now: Date) -> Double {
        status.isClosed ? elapsedSeconds : max(elapsedSeconds, now.timeIntervalSince(openedAt))
    }

    /// Past the legal maximum at `now`: an open case passes it with no event at all, so the flag stored
    /// with its latest event (`slaBreached`) can be stale; a closed case keeps the flag it closed with.
    public func slaBreached(asOf now: Date) -> Bool {
        status.isClosed ? slaBreached : slaBreached || passesLegalMaximum(elapsedSeconds(asOf: now))
    }

    /// Whether `seconds` from the first event are past the legal maximum (never, where the catalogue gives none).
    public func passesLegalMaximum(_ seconds: Double) -> Bool {
        legalMaximumDays.map { seconds > $0 * 86_400 } ?? false
    }

    /// Seconds in the step the case is in, up to `now`; nil once closed (every period has ended).
    public func secondsInCurrentStep(asOf now: Date) -> Double? {
        guard !status.isClosed, let last = periods.last, last.leftAt == nil else { return nil }
        return max(0, now.timeIntervalSince(last.enteredAt))
    }

    /// Total seconds spent per step key, summed over iterations.
    public var secondsPerStep: [String: Double] {
        periods.reduce(into: [:]) { $0[$1.key, default: 0] += $1.seconds }
    }
}

/// One stay in a step: entered at one event, left at the next.
public struct StepPeriod: Codable, Sendable, Hashable {
    /// The step code, or the status name where no step is given.
    public var key: String
    public var status: CaseStatus
    public var enteredAt: Date
    public var leftAt: Date?

    public init(key: String, status: CaseStatus, enteredAt: Date, leftAt: Date? = nil) {
        self.key = key
        self.status = status
        self.enteredAt = enteredAt
        self.leftAt = leftAt
    }

    public var seconds: Double { leftAt.map { $0.timeIntervalSince(enteredAt) } ?? 0 }
}

extension CaseState: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("agency", agency)
            json.member("caseId", caseId)
            json.member("channel", channel)
            json.member("elapsedSeconds", elapsedSeconds)
            json.member("expectedDays", expectedDays)
            json.member("forecastRemainingSeconds", forecastRemainingSeconds)
            json.member("iteration", iteration)
            json.member("lastEventAt", lastEventAt)
            json.member("lastEventId", lastEventId)
            json.member("legalMaximumDays", legalMaximumDays)
            json.member("openedAt", openedAt)
            json.key("periods"); json.array(periods) { json, period in period.write(to: &json) }
            json.key("recentEventIds"); json.array(recentEventIds) { json, id in json.uuid(id) }
            json.member("serviceId", serviceId)
            json.member("slaBreached", slaBreached)
            json.member("status", status)
            json.member("step", step)
        }
    }
}

extension StepPeriod: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("enteredAt", enteredAt)
            json.member("key", key)
            json.member("leftAt", leftAt)
            json.member("status", status)
        }
    }
}
