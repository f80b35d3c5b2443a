import Foundation
import StatusIngest
import Testing
import Topics

/// The sample catalogue shipped in Topics/samples, as `make run` loads it.
let sampleCatalogue: ServiceCatalogue = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try! ServiceCatalogue.load(contentsOf: root.appendingPathComponent("Topics/samples/catalogue.json"))
}()

let day = 86_400.0
let start = Date(timeIntervalSince1970: 1_740_000_000)

func event(_ status: CaseStatus, at days: Double, step: String? = nil, caseId: String = "C-1",
           service: String = "PMLP-PASE", agency: String = "PMLP", id: UUID = UUID()) -> StatusEvent {
    StatusEvent(eventId: id, caseId: caseId, agency: agency, serviceId: service, channel: .vpvkac, status: status,
                occurredAt: start.addingTimeInterval(days * day), step: step)
}

@Suite("Case lifecycle rules")
struct CaseLifecycleTests {
    @Test("forward moves are allowed, backward ones are not")
    func forwardOnly() {
        #expect(CaseLifecycle.check(from: nil, to: .inProgress, allowsReopening: false) == .allowed)
        #expect(CaseLifecycle.check(from: .submitted, to: .accepted, allowsReopening: false) == .allowed)
        #expect(CaseLifecycle.check(from: .inProgress, to: .waitingForClient, allowsReopening: false) == .allowed)
        #expect(CaseLifecycle.check(from: .waitingForClient, to: .inProgress, allowsReopening: false) == .allowed)
        if case .illegal = CaseLifecycle.check(from: .inProgress, to: .submitted, allowsReopening: false) {} else {
            Issue.record("in_progress -> submitted must be illegal")
        }
    }

    @Test("a closed case reopens only into in_progress, only where allowed")
    func closedCases() {
        for closed in [CaseStatus.completed, .refused, .withdrawn] {
            #expect(CaseLifecycle.check(from: closed, to: .inProgress, allowsReopening: true) == .reopens)
            if case .illegal = CaseLifecycle.check(from: closed, to: .inProgress, allowsReopening: false) {} else {
                Issue.record("\(closed) -> in_progress without reopening must be illegal")
            }
            if case .illegal = CaseLifecycle.check(from: closed, to: .accepted, allowsReopening: true) {} else {
                Issue.record("\(closed) -> accepted must be illegal")
            }
        }
    }
}

@Suite("Status ingestion core")
struct StatusIngestCoreTests {
    @Test("the sample catalogue has a dozen services of five agencies, in lv and en")
    func sampleCatalogueShape() {
        #expect(sampleCatalogue.services.count >= 12)
        #expect(Set(sampleCatalogue.services.values.map(\.ownerAgency)) == ["VID", "VSAA", "PMLP", "CSDD", "RIGA"])
        #expect(sampleCatalogue.services.values.allSatisfy { $0.names.en != nil && !$0.names.lv.isEmpty })
    }

    @Test("a passport case: step times, elapsed, forecast and notices")
    func passportCase() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        guard case .accepted(_, let firstNotice) = try core.ingest(event(.submitted, at: 0, step: "application")) else {
            Issue.record("submitted not accepted"); return
        }
        #expect(firstNotice == nil)
        _ = try core.ingest(event(.accepted, at: 1, step: "application"))
        guard case .accepted(let producing, _) = try core.ingest(event(.inProgress, at: 2, step: "production")) else {
            Issue.record("in_progress not accepted"); return
        }
        // In production since day 2: 9 expected days of production + 5 of hand-over remain.
        #expect(producing.forecastRemainingSeconds == (9 + 5) * day)
        guard case .accepted(let done, let notice) = try core.ingest(event(.completed, at: 12, step: "handover")) else {
            Issue.record("completed not accepted"); return
        }
        #expect(notice == TransitionNotice(status: .completed, messageClass: .official))
        #expect(done.elapsedSeconds == 12 * day)
        #expect(done.secondsPerStep["application"] == 2 * day)
        #expect(done.secondsPerStep["production"] == 10 * day)
        #expect(done.forecastRemainingSeconds == 0)
        #expect(done.slaBreached == false)
        #expect(done.status == .completed)
    }

    @Test("over the legal maximum the case is flagged")
    func slaBreach() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        _ = try core.ingest(event(.submitted, at: 0, service: "PMLP-DZV"))
        guard case .accepted(let late, _) = try core.ingest(event(.completed, at: 6, service: "PMLP-DZV")) else {
            Issue.record("not accepted"); return
        }
        #expect(late.slaBreached, "PMLP-DZV's legal maximum is 5 days")
    }

    @Test("repeats are duplicates, late events do not move the state back")
    func duplicatesAndLateEvents() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        let id = UUID()
        _ = try core.ingest(event(.submitted, at: 0, step: "application", id: id))
        #expect(try core.ingest(event(.submitted, at: 0, step: "application", id: id)) == .duplicate)
        _ = try core.ingest(event(.inProgress, at: 3, step: "production"))
        guard case .recordedLate(let state) = try core.ingest(event(.accepted, at: 1, step: "application")) else {
            Issue.record("a late event must be recorded in history only"); return
        }
        #expect(state.status == .inProgress)
        #expect(state.step == "production")
    }

    @Test("unknown service, another agency's service, unknown step and illegal transitions are quarantined")
    func quarantine() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        func code(_ outcome: IngestOutcome) -> QuarantineReason.Code? {
            if case .quarantined(let reason) = outcome { return reason.code }
            return nil
        }
        #expect(code(try core.ingest(event(.submitted, at: 0, service: "PMLP-NOPE"))) == .unknownService)
        #expect(code(try core.ingest(event(.submitted, at: 0, service: "VID-EDS-IIN"))) == .foreignService)
        #expect(code(try core.ingest(event(.submitted, at: 0, step: "no-such-step"))) == .unknownStep)
        _ = try core.ingest(event(.completed, at: 1, step: "handover"))
        #expect(code(try core.ingest(event(.inProgress, at: 2, step: "production"))) == .illegalTransition,
                "PMLP-PASE does not allow reopening")
    }

    @Test("a reopened case counts a new iteration where the catalogue allows it")
    func reopening() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        _ = try core.ingest(event(.submitted, at: 0, step: "registration", service: "VID-EDS-IIN", agency: "VID"))
        _ = try core.ingest(event(.completed, at: 5, step: "refund", service: "VID-EDS-IIN", agency: "VID"))
        guard case .accepted(let reopened, _) = try core.ingest(event(.inProgress, at: 9, step: "review", service: "VID-EDS-IIN", agency: "VID")) else {
            Issue.record("reopening refused"); return
        }
        #expect(reopened.iteration == 2)
        #expect(reopened.status == .inProgress)
    }

    @Test("closed cases leave memory for the archive and come back whole when an event concerns them")
    func closedCasesAreArchived() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        let closing = UUID()
        _ = try core.ingest(event(.submitted, at: 0, step: "registration", service: "VID-EDS-IIN", agency: "VID"))
        _ = try core.ingest(event(.inProgress, at: 1, step: "review", service: "VID-EDS-IIN", agency: "VID"))
        _ = try core.ingest(event(.completed, at: 5, step: "refund", service: "VID-EDS-IIN", agency: "VID", id: closing))
        #expect(core.openCases.isEmpty)
        #expect(core.closedCount == 1)
        let closed = try #require(try core.state(of: "VID/C-1"))
        #expect(closed.status == .completed)
        #expect(closed.periods.count == 3)

        // A repeat of the closing event is recognised from the archived state.
        #expect(try core.ingest(event(.completed, at: 5, step: "refund", service: "VID-EDS-IIN", agency: "VID", id: closing)) == .duplicate)
        // A late event is remembered in the archived state, which stays closed.
        guard case .recordedLate(let late) = try core.ingest(event(.inProgress, at: 2, step: "review", service: "VID-EDS-IIN", agency: "VID")) else {
            Issue.record("late event on a closed case must be recorded late"); return
        }
        #expect(late.status == .completed)
        #expect(core.openCases.isEmpty)
        // Reopening brings the whole state back into memory, earlier steps included.
        guard case .accepted(let reopened, _) = try core.ingest(event(.inProgress, at: 9, step: "review", service: "VID-EDS-IIN", agency: "VID")) else {
            Issue.record("reopening refused"); return
        }
        #expect(reopened.periods.count == 4)
        #expect(reopened.recentEventIds.contains(closing))
        #expect(core.openCases["VID/C-1"] == reopened)
        #expect(core.closedCount == 0)

        // Restoring from status.current sorts states the same way.
        var restored = try StatusIngestCore(catalogue: sampleCatalogue)
        try restored.restore(closed)
        try restored.restore(reopened.with(caseId: "C-2"))
        #expect(restored.closedCount == 1)
        #expect(restored.openCases.keys.sorted() == ["VID/C-2"])
        #expect(try restored.allStates().count == 2)
        #expect(try restored.state(of: "VID/C-1") == closed)
    }

    @Test("the minimal event, submitted with no client, opens a case")
    func minimalEvent() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        let minimal = StatusEvent(caseId: "M-1", agency: "CSDD", serviceId: "CSDD-REG", channel: .inPerson,
                                  status: .submitted, occurredAt: start)
        guard case .accepted(let state, _) = try core.ingest(minimal) else { Issue.record("minimal event refused"); return }
        #expect(state.kafkaKey == "CSDD/M-1")
    }
}

@Suite("Reading raw records from status.events.<AGENCY>")
struct StatusEventIntakeTests {
    let good = #"{"eventId":"9b2f4a8e-4d0c-4b8e-9a51-0c3f2b7d1e11","caseId":"C-1","agency":"VID","serviceId":"VID-EDS-IIN","channel":"eservice","status":"submitted","occurredAt":"2025-03-01T10:00:00+02:00"}"#

    func read(_ text: String, topic: String = "status.events.VID", key: String? = "VID/C-1", max: Int = 65_536) -> Result<StatusEvent, IntakeRejection> {
        StatusEventIntake.read(topic: topic, key: key, value: Array(text.utf8), maxBytes: max)
    }

    func code(_ result: Result<StatusEvent, IntakeRejection>) -> String? {
        if case .failure(let rejection) = result { return rejection.code }
        return nil
    }

    @Test("a good event is read")
    func goodEvent() throws {
        let result = read(good)
        guard case .success(let event) = result else { Issue.record("rejected: \(result)"); return }
        #expect(event.kafkaKey == "VID/C-1")
    }

    @Test("each kind of bad record has its machine-readable code")
    func rejections() {
        #expect(code(read("{not json")) == "invalid_json")
        #expect(code(read(good.replacingOccurrences(of: #""caseId":"C-1","#, with: ""))) == "missing_field")
        #expect(code(read(good.replacingOccurrences(of: #""eservice""#, with: #""pigeon""#))) == "invalid_value")
        #expect(code(read(good, topic: "status.events.VSAA", key: nil)) == "agency_mismatch")
        #expect(code(read(good, key: "VID/other")) == "key_mismatch")
        #expect(code(read(good, max: 50)) == "too_large")
        #expect(code(read(good, topic: "status.history")) == "unexpected_topic")
        #expect(code(StatusEventIntake.read(topic: "status.events.VID", key: nil, value: nil, maxBytes: 100)) == "empty_value")
    }
}

private extension CaseState {
    func with(caseId: String) -> CaseState {
        var copy = self
        copy.caseId = caseId
        return copy
    }
}

@Suite("Closed-case archive")
struct ClosedCaseArchiveTests {
    @Test("states come back whole, whether still waiting to be written or already in the file; a state put again gets a new slot")
    func roundTrips() throws {
        let archive = try ClosedCaseArchive()
        let t0 = Date(timeIntervalSince1970: 1_740_816_000)
        func state(_ index: Int) -> CaseState {
            CaseState(agency: "VID", caseId: "C-\(index)", serviceId: "VID-EDS-IIN", channel: .eservice, status: .completed, step: "refund",
                      iteration: 1, openedAt: t0, lastEventAt: t0.addingTimeInterval(Double(index)), lastEventId: UUID(),
                      periods: [StepPeriod(key: "registration", status: .submitted, enteredAt: t0, leftAt: t0.addingTimeInterval(60))],
                      elapsedSeconds: Double(index), expectedDays: 5, legalMaximumDays: 30, slaBreached: false,
                      forecastRemainingSeconds: nil, recentEventIds: [UUID(), UUID()])
        }
        // About 600 bytes each: 300 states pass the 64 KiB write size a couple of times over.
        let states = (0 ..< 300).map(state)
        let slots = try states.map { try archive.put($0) }
        for (slot, expected) in zip(slots, states) { #expect(try archive.get(slot) == expected) }
        var changed = states[3]
        changed.iteration = 2
        let again = try archive.put(changed)
        #expect(again != slots[3])
        #expect(try archive.get(again) == changed && archive.get(slots[3]) == states[3])
        #expect(archive.fileBytes == Int64((states + [changed]).reduce(0) { $0 + JSONWriter.encode($1).count }))
    }
}
