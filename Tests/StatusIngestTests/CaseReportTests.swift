import Foundation
import StatusIngest
import Testing
import Topics

@Suite("The MK 399 case report")
struct CaseReportTests {
    /// Five passport cases and one eID case, figures computed by hand.
    @Test("counts, median and 90th percentile per service, against hand-computed figures")
    func figures() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        // PMLP-PASE: completed after 2, 4, 10 and 12 days; one refused; one still open.
        for (index, days) in [2.0, 4, 10, 12].enumerated() {
            _ = try core.ingest(event(.submitted, at: 0, caseId: "P\(index)"))
            _ = try core.ingest(event(.completed, at: days, caseId: "P\(index)"))
        }
        _ = try core.ingest(event(.submitted, at: 1, caseId: "R"))
        _ = try core.ingest(event(.refused, at: 3, caseId: "R"))
        _ = try core.ingest(event(.submitted, at: 1, caseId: "O"))
        _ = try core.ingest(event(.submitted, at: 0, caseId: "E", service: "PMLP-EID"))
        _ = try core.ingest(event(.withdrawn, at: 1, caseId: "E", service: "PMLP-EID"))
        // Opened outside the period: left out.
        _ = try core.ingest(event(.submitted, at: 40, caseId: "LATE"))

        let report = CaseReport(cases: try core.allStates(), from: start, to: start.addingTimeInterval(30 * day), by: [.service], asOf: start.addingTimeInterval(20 * day))
        #expect(report.rows.count == 2)
        let eid = report.rows[0], passport = report.rows[1]
        #expect(eid.group == ["service": "PMLP-EID"])
        #expect(eid.withdrawn == 1 && eid.submitted == 1 && eid.medianDaysToCompletion == nil)
        #expect(passport.submitted == 6)
        #expect(passport.completed == 4 && passport.refused == 1 && passport.open == 1)
        // Days 2, 4, 10, 12: median (4 + 10) / 2 = 7; p90 at rank 2.7 = 10 + 0.7 * 2 = 11.4.
        #expect(passport.medianDaysToCompletion == 7)
        #expect(abs(passport.p90DaysToCompletion! - 11.4) < 1e-9)
        #expect(passport.expectedDays == 10)
        #expect(report.csv(dimensions: [.service]).hasPrefix("service,submitted,completed,refused,withdrawn,open,median_days_to_completion"))
        #expect(report.csv(dimensions: [.service]).contains("PMLP-PASE,6,4,1,0,1,7.00,11.40,10.00,0\n"))
        // The terminal table: every header whole, each figure right-aligned under its own.
        let table = report.table(dimensions: [.service]).split(separator: "\n").map(String.init)
        let header = table[0], passportLine = try #require(table.first { $0.hasPrefix("PMLP-PASE") })
        #expect(header.split(separator: " ", omittingEmptySubsequences: true)
                == ["service", "submitted", "completed", "refused", "withdrawn", "open", "median_days_to_completion",
                    "p90_days_to_completion", "expected_days", "sla_breaches"])
        #expect(passportLine.split(separator: " ", omittingEmptySubsequences: true) == ["PMLP-PASE", "6", "4", "1", "0", "1", "7.00", "11.40", "10.00", "0"])
        for name in ["median_days_to_completion", "p90_days_to_completion", "sla_breaches"] {
            let end = try #require(header.range(of: name)).upperBound.utf16Offset(in: header)
            let cell = passportLine.prefix(end).last
            #expect(cell != nil && cell != " ", "a figure ends where \(name) ends")
        }
    }

    @Test("grouping by several dimensions")
    func dimensions() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        _ = try core.ingest(event(.submitted, at: 0, caseId: "A"))
        _ = try core.ingest(event(.submitted, at: 0, caseId: "B", service: "CSDD-REG", agency: "CSDD"))
        let report = CaseReport(cases: try core.allStates(), from: start, to: start.addingTimeInterval(day), by: [.agency, .channel], asOf: start.addingTimeInterval(day))
        #expect(report.rows.map(\.group) == [["agency": "CSDD", "channel": "vpvkac"], ["agency": "PMLP", "channel": "vpvkac"]])
    }
}

@Suite("A case as it stands now")
struct CaseStandingTests {
    @Test("an open case keeps ageing after its latest event and passes its legal maximum with no event; a closed one keeps its figures")
    func ageing() throws {
        var core = try StatusIngestCore(catalogue: sampleCatalogue)
        _ = try core.ingest(event(.submitted, at: 1, step: "application", caseId: "OPEN"))
        _ = try core.ingest(event(.submitted, at: 0, caseId: "DONE"))
        _ = try core.ingest(event(.completed, at: 12, caseId: "DONE"))
        let states = Dictionary(uniqueKeysWithValues: try core.allStates().map { ($0.caseId, $0) })
        let open = try #require(states["OPEN"]), done = try #require(states["DONE"])
        // PMLP-PASE: legal maximum 30 days.
        #expect(open.elapsedSeconds == 0 && !open.slaBreached)
        #expect(open.elapsedSeconds(asOf: start.addingTimeInterval(21 * day)) == 20 * day)
        #expect(!open.slaBreached(asOf: start.addingTimeInterval(31 * day)))
        #expect(open.slaBreached(asOf: start.addingTimeInterval(31.5 * day)))
        #expect(open.secondsInCurrentStep(asOf: start.addingTimeInterval(4 * day)) == 3 * day)
        #expect(done.elapsedSeconds(asOf: start.addingTimeInterval(400 * day)) == 12 * day)
        #expect(!done.slaBreached(asOf: start.addingTimeInterval(400 * day)))
        #expect(done.secondsInCurrentStep(asOf: start.addingTimeInterval(400 * day)) == nil)

        // The report counts the open case as past its maximum once it is, and never the closed one.
        for (asOf, breaches) in [(20.0, 0), (40, 1), (400, 1)] {
            let report = CaseReport(cases: Array(states.values), from: start, to: start.addingTimeInterval(30 * day), by: [.service],
                                    asOf: start.addingTimeInterval(asOf * day))
            #expect(report.rows.map(\.slaBreaches) == [breaches], "as of day \(asOf)")
            #expect(report.rows.map(\.open) == [1])
        }

        // hub status show: time open and in the step as of now, the stored figures labelled as the latest event's.
        let text = open.summary(asOf: start.addingTimeInterval(41 * day)).split(separator: "\n").map(String.init)
        #expect(text[1].hasPrefix("status submitted (step application)  iteration 1  latest event "))
        #expect(text[2] == "open 40.0 d (0.0 d at the latest event)  expected 10.0 d  legal maximum 30.0 d  PAST THE LEGAL MAXIMUM")
        #expect(text.contains { $0.hasPrefix("forecast remaining at the latest event ") })
        #expect(text.last?.hasSuffix("40.0 d so far") == true)
        let closed = done.summary(asOf: start.addingTimeInterval(400 * day)).split(separator: "\n").map(String.init)
        #expect(closed[2] == "took 12.0 d  expected 10.0 d  legal maximum 30.0 d")
        #expect(!closed.contains { $0.contains("so far") || $0.contains("forecast") })
    }
}
