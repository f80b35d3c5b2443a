import Foundation
import HubRuntime
import Kafka
import Testing

/// Poison-record detection without Kafka: a transform that throws stands in
/// for a crash, since either leaves the journal's note behind.
@Suite("Crash journal")
struct CrashJournalTests {
    let directory = NSTemporaryDirectory() + "/crash-journal-\(UUID().uuidString.prefix(8))"

    func record(_ offset: Int64, partition: Int32 = 0) -> KafkaConsumerRecord {
        KafkaConsumerRecord(topic: "in.topic", partition: partition, offset: offset, key: nil, value: Array("v\(offset)".utf8),
                            headers: [], timestampMilliseconds: nil)
    }

    struct Crash: Error {}

    /// One run of a stage over `batch`: what it handled and what it called poison, or nil when it "crashed".
    func run(_ batch: [KafkaConsumerRecord], crashingOn bad: Int64, maxCrashes: Int = 3) async throws -> [String]? {
        let journal = try CrashJournal(settings: .init(directory: directory, maxCrashes: maxCrashes), name: "stage-1")
        do {
            return try await journal.handle(batch, poison: { record, crashes in ["poison \(record.offset) after \(crashes)"] }) { record in
                if record.offset == bad { throw Crash() }
                return ["ok \(record.offset)"]
            }
        } catch is Crash { return nil }
    }

    @Test("a record that crashes every run is poison after maxCrashes runs; the rest of its batch is handled")
    func poisonAfterBoundedCrashes() async throws {
        let batch = (10 ... 14).map { record($0) } + [record(3, partition: 1)]
        var crashedRuns = 0
        var outcome: [String]?
        while outcome == nil, crashedRuns < 10 {
            outcome = try await run(batch, crashingOn: 12)
            if outcome == nil { crashedRuns += 1 }
        }
        #expect(crashedRuns == 3)
        #expect(outcome == ["ok 10", "ok 11", "poison 12 after 3", "ok 13", "ok 14", "ok 3"])
        // The journal is clear again: a new run suspects nothing.
        #expect(try CrashJournal(settings: .init(directory: directory), name: "stage-1").evidence == nil)
    }

    @Test("a limit of one dead-letters after the first crash with the record alone in hand")
    func limitOne() async throws {
        let batch = (0 ... 3).map { record($0) }
        #expect(try await run(batch, crashingOn: 2, maxCrashes: 1) == nil)  // the whole batch in hand: no culprit yet
        #expect(try await run(batch, crashingOn: 2, maxCrashes: 1) == nil)  // record 2 alone in hand
        #expect(try await run(batch, crashingOn: 2, maxCrashes: 1) == ["ok 0", "ok 1", "poison 2 after 2", "ok 3"])
    }

    @Test("one kill (SIGKILL, OOM) makes its batch suspect once; nothing is poison")
    func oneKillIsNotPoison() async throws {
        let batch = (0 ... 3).map { record($0) }
        #expect(try await run(batch, crashingOn: 2) == nil)
        #expect(try await run(batch, crashingOn: -1) == ["ok 0", "ok 1", "ok 2", "ok 3"])
        #expect(try await run(batch, crashingOn: -1) == ["ok 0", "ok 1", "ok 2", "ok 3"])
    }

    @Test("evidence names the ranges in hand and counts the crash")
    func evidence() async throws {
        let batch = [record(5), record(7), record(6), record(1, partition: 2)]
        #expect(try await run(batch, crashingOn: 7) == nil)
        let evidence = try #require(try CrashJournal(settings: .init(directory: directory), name: "stage-1").evidence)
        #expect(evidence.crashes == 1)
        #expect(evidence.ranges == [.init(topic: "in.topic", partition: 0, first: 5, last: 7), .init(topic: "in.topic", partition: 2, first: 1, last: 1)])
        #expect(evidence.contains(record(6)) && !evidence.contains(record(8)) && !evidence.contains(record(6, partition: 1)))
        #expect(!evidence.isSingleRecord)
    }

    @Test("the journal text round-trips; unreadable or empty text is no evidence")
    func text() {
        let records = InFlightRecords(records: [record(4), record(9, partition: 3)], crashes: 2)
        #expect(InFlightRecords(text: records.text) == records)
        #expect(InFlightRecords(text: "") == nil)
        #expect(InFlightRecords(text: "crashes x\n") == nil)
        #expect(InFlightRecords(text: "crashes 1\n") == nil)
        #expect(InFlightRecords(text: "crashes 1\nin.topic 0 1\n") == nil)
    }
}
