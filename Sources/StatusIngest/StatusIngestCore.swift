import Foundation
import Topics

/// The pure core of status ingestion: given the catalogue and the cases it
/// has seen, it decides what one valid event does. No Kafka here; the shell
/// feeds it events in partition order and writes what it returns.
public struct StatusIngestCore: Sendable {
    public var catalogue: ServiceCatalogue
    /// Cases still open, in full: what the next event needs.
    public private(set) var openCases: [String: CaseState] = [:]
    /// Closed cases, found in the archive when an event still concerns them,
    /// so memory does not grow with every case ever closed.
    private var closedCases: [String: ClosedCaseArchive.Slot] = [:]
    private let archive: ClosedCaseArchive
    /// How many recent event ids each case remembers for de-duplication.
    public let rememberedEventIds: Int

    /// Without an `archive`, closed cases go to a new one in the temporary directory.
    public init(catalogue: ServiceCatalogue, archive: ClosedCaseArchive? = nil, rememberedEventIds: Int = 64) throws(ClosedCaseArchive.Failure) {
        self.catalogue = catalogue
        if let archive { self.archive = archive } else { self.archive = try ClosedCaseArchive() }
        self.rememberedEventIds = rememberedEventIds
    }

    public var closedCount: Int { closedCases.count }

    /// The case's current state, open or closed.
    public func state(of key: String) throws(ClosedCaseArchive.Failure) -> CaseState? {
        if let open = openCases[key] { return open }
        guard let slot = closedCases[key] else { return nil }
        return try archive.get(slot)
    }

    /// Every case's current state, the closed ones read back from the archive.
    public func allStates() throws(ClosedCaseArchive.Failure) -> [CaseState] {
        var states = Array(openCases.values)
        for slot in closedCases.values { states.append(try archive.get(slot)) }
        return states
    }

    /// Restores a case from `status.current` (start-up, rebalance).
    public mutating func restore(_ state: CaseState) throws(ClosedCaseArchive.Failure) {
        try keep(state)
    }

    /// Open states stay in memory; closed ones go to the archive.
    private mutating func keep(_ state: CaseState) throws(ClosedCaseArchive.Failure) {
        let key = state.kafkaKey
        if state.status.isClosed {
            closedCases[key] = try archive.put(state)
            openCases[key] = nil
        } else {
            openCases[key] = state
            closedCases[key] = nil
        }
    }

    public mutating func ingest(_ event: StatusEvent) throws(ClosedCaseArchive.Failure) -> IngestOutcome {
        let key = event.kafkaKey
        let existing = try state(of: key)
        if let existing, existing.recentEventIds.contains(event.eventId) { return .duplicate }
        let service: ServiceDefinition
        switch catalogue.place(event) {
        case .failure(let reason): return .quarantined(reason)
        case .success(let placed): service = placed
        }
        guard let existing else {
            let state = Self.open(event, service: service)
            try keep(state)
            return .accepted(state, notice: service.notice(for: event.status))
        }
        if event.occurredAt < existing.lastEventAt {
            // History keeps it; the current state does not move back.
            var state = existing
            remember(event.eventId, in: &state)
            try keep(state)
            return .recordedLate(state)
        }
        switch CaseLifecycle.check(from: existing.status, to: event.status, allowsReopening: service.allowsReopening) {
        case .illegal(let reason):
            return .quarantined(QuarantineReason(code: .illegalTransition, message: reason))
        case .allowed, .reopens:
            var state = existing
            let reopens = existing.status.isClosed
            advance(&state, with: event, service: service, reopens: reopens)
            try keep(state)
            return .accepted(state, notice: service.notice(for: event.status))
        }
    }

    static func open(_ event: StatusEvent, service: ServiceDefinition) -> CaseState {
        var state = CaseState(
            agency: event.agency, caseId: event.caseId, serviceId: event.serviceId, channel: event.channel,
            status: event.status, step: event.step, iteration: 1, openedAt: event.occurredAt,
            lastEventAt: event.occurredAt, lastEventId: event.eventId,
            periods: [StepPeriod(key: event.step ?? event.status.rawValue, status: event.status, enteredAt: event.occurredAt)],
            elapsedSeconds: 0, expectedDays: service.expectedDays, legalMaximumDays: service.legalMaximumDays,
            slaBreached: false, forecastRemainingSeconds: nil, recentEventIds: [event.eventId])
        measure(&state, service: service)
        return state
    }

    private func advance(_ state: inout CaseState, with event: StatusEvent, service: ServiceDefinition, reopens: Bool) {
        let key = event.step ?? event.status.rawValue
        if let last = state.periods.indices.last, state.periods[last].leftAt == nil {
            if state.periods[last].key == key && state.periods[last].status == event.status {
                // Same step again (a note, a repeated status): the stay goes on.
            } else {
                state.periods[last].leftAt = event.occurredAt
                state.periods.append(StepPeriod(key: key, status: event.status, enteredAt: event.occurredAt))
            }
        } else {
            state.periods.append(StepPeriod(key: key, status: event.status, enteredAt: event.occurredAt))
        }
        if reopens { state.iteration += 1 }
        state.status = event.status
        state.step = event.step
        state.channel = event.channel
        state.lastEventAt = event.occurredAt
        state.lastEventId = event.eventId
        state.expectedDays = service.expectedDays
        state.legalMaximumDays = service.legalMaximumDays
        remember(event.eventId, in: &state)
        Self.measure(&state, service: service)
    }

    private func remember(_ id: UUID, in state: inout CaseState) {
        state.recentEventIds.append(id)
        if state.recentEventIds.count > rememberedEventIds {
            state.recentEventIds.removeFirst(state.recentEventIds.count - rememberedEventIds)
        }
    }

    /// Elapsed time, SLA breach and the remaining-time forecast.
    static func measure(_ state: inout CaseState, service: ServiceDefinition) {
        let closed = state.status.isClosed
        if closed, let last = state.periods.indices.last, state.periods[last].leftAt == nil {
            state.periods[last].leftAt = state.lastEventAt
        }
        state.elapsedSeconds = state.lastEventAt.timeIntervalSince(state.openedAt)
        if state.legalMaximumDays != nil { state.slaBreached = state.passesLegalMaximum(state.elapsedSeconds) }
        state.forecastRemainingSeconds = closed ? 0 : forecast(state, service: service)
    }

    /// Remaining expected time: the rest of the current step plus the later
    /// steps where the catalogue times them; else expected total minus elapsed.
    static func forecast(_ state: CaseState, service: ServiceDefinition) -> Double? {
        if let step = state.step, let index = service.steps.firstIndex(where: { $0.code == step }),
           service.steps[index...].allSatisfy({ $0.expectedDays != nil }) {
            let inStep = state.lastEventAt.timeIntervalSince(state.periods.last?.enteredAt ?? state.lastEventAt)
            let current = max(0, service.steps[index].expectedDays! * 86_400 - inStep)
            let later = service.steps[(index + 1)...].reduce(0) { $0 + $1.expectedDays! * 86_400 }
            return current + later
        }
        guard let expected = service.expectedDays else { return nil }
        return max(0, expected * 86_400 - state.elapsedSeconds)
    }
}

/// What one valid event did.
public enum IngestOutcome: Sendable, Hashable {
    /// It moved the case: write history and the new current state; notify when asked.
    case accepted(CaseState, notice: TransitionNotice?)
    /// Older than the case's latest: write history only.
    case recordedLate(CaseState)
    /// An event id already seen for this case: counted, not written.
    case duplicate
    case quarantined(QuarantineReason)
}
