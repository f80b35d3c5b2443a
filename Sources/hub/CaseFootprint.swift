import Foundation
import StatusIngest
import Topics

/// What one case costs the status-ingest core in memory, open and closed,
/// measured as resident-memory growth while a core takes that many cases.
struct CaseFootprint {
    let openBytes: Double
    let closedBytes: Double
    /// Bytes each closed case takes in the archive file, on disk.
    let archiveBytes: Double

    static func measure(cases: Int) throws -> CaseFootprint {
        let service = ServiceDefinition(
            serviceId: "FOOT-SVC", ownerAgency: "FOOT", names: LocalizedText(lv: "Mērījums", en: "Footprint"),
            steps: [ServiceStep(code: "registration", names: LocalizedText(lv: "Reģistrācija", en: "Registration"), expectedDays: 1),
                    ServiceStep(code: "review", names: LocalizedText(lv: "Izskatīšana", en: "Review"), expectedDays: 10)],
            expectedDays: 11, legalMaximumDays: 30)
        let opened = Date(timeIntervalSince1970: 1_740_000_000)
        func event(_ index: Int, _ status: CaseStatus, _ step: String, day: Double, prefix: String) -> StatusEvent {
            StatusEvent(eventId: UUID.random(), caseId: "\(prefix)-2025-\(100_000 + index)", agency: "FOOT", serviceId: "FOOT-SVC",
                        channel: .eservice, status: status, occurredAt: opened.addingTimeInterval(day * 86_400), step: step)
        }
        let archive = try ClosedCaseArchive()
        var closedCore = try StatusIngestCore(catalogue: ServiceCatalogue([service]), archive: archive)
        let beforeClosed = residentBytes()
        for index in 0..<cases {
            _ = try closedCore.ingest(event(index, .submitted, "registration", day: 0, prefix: "C"))
            _ = try closedCore.ingest(event(index, .inProgress, "review", day: 1, prefix: "C"))
            _ = try closedCore.ingest(event(index, .completed, "review", day: 9, prefix: "C"))
        }
        let closedGrowth = residentBytes() - beforeClosed

        var openCore = try StatusIngestCore(catalogue: ServiceCatalogue([service]))
        let beforeOpen = residentBytes()
        for index in 0..<cases {
            _ = try openCore.ingest(event(index, .submitted, "registration", day: 0, prefix: "O"))
            _ = try openCore.ingest(event(index, .inProgress, "review", day: 1, prefix: "O"))
        }
        let openGrowth = residentBytes() - beforeOpen
        withExtendedLifetime((closedCore, openCore)) {}
        return CaseFootprint(openBytes: Double(openGrowth) / Double(cases), closedBytes: Double(closedGrowth) / Double(cases),
                             archiveBytes: Double(archive.fileBytes) / Double(cases))
    }

    /// Resident set size from /proc/self/statm.
    private static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
