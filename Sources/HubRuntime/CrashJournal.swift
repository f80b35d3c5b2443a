import Foundation
import Kafka

/// Poison-record detection. Before a stage handles a batch it notes the
/// batch's offsets in a small local file and clears the note once the batch
/// is handled; a note found at start means the last run died with those
/// records in hand. The suspects are then handled one at a time, each noted
/// alone, so a further crash points at one record; a record in hand at
/// `maxCrashes` crashes in a row is not handled again but given to `poison`
/// (the dead-letter topic), and the partition flows on.
///
/// A process killed for another reason (SIGKILL in a deploy, the OOM killer)
/// leaves a note too: its batch is then handled one by one once, and only
/// `maxCrashes` deaths on the same single record make it poison.
public final class CrashJournal: @unchecked Sendable {
    public struct Settings: Sendable {
        /// Where journals live; one file per stage instance.
        public var directory: String
        /// Crashes in a row with a record in hand before it is poison; at
        /// least the last of them with it alone in hand, so a crash amid a
        /// batch never condemns a record by itself.
        public var maxCrashes: Int
        public init(directory: String, maxCrashes: Int = 3) {
            self.directory = directory
            self.maxCrashes = maxCrashes
        }
    }

    public let path: String
    public let maxCrashes: Int
    /// What was in hand when the last run died, the crash counted; nil after a clean stop.
    public let evidence: InFlightRecords?
    private let descriptor: Int32

    /// Opens (creating) `<directory>/<name>.inflight` and reads what a previous run left there.
    public init(settings: Settings, name: String) throws {
        try FileManager.default.createDirectory(atPath: settings.directory, withIntermediateDirectories: true)
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        path = (settings.directory as NSString).appendingPathComponent("\(safeName).inflight")
        maxCrashes = max(1, settings.maxCrashes)
        let previous = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(InFlightRecords.init(text:))
        evidence = previous.map { InFlightRecords(ranges: $0.ranges, crashes: $0.crashes + 1) }
        descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw CrashJournalError(path: path, errno: errno) }
    }

    deinit { close(descriptor) }

    /// Handles `batch` with `handle`, noting what is in hand; records that
    /// crashed the stage `maxCrashes` times go to `poison` instead.
    /// A batch without suspects goes to `handleAll` when given (a stage handling keys in parallel).
    public func handle<Output>(_ batch: [KafkaConsumerRecord],
                               poison: (KafkaConsumerRecord, Int) -> [Output],
                               all handleAll: (([KafkaConsumerRecord]) async throws -> [Output])? = nil,
                               _ handle: (KafkaConsumerRecord) async throws -> [Output]) async throws -> [Output] {
        var outputs: [Output] = []
        outputs.reserveCapacity(batch.count * 2)
        if let evidence, batch.contains(where: evidence.contains) {
            for record in batch {
                let suspect = evidence.contains(record)
                if suspect, evidence.isSingleRecord, evidence.crashes >= maxCrashes {
                    outputs += poison(record, evidence.crashes)
                    continue
                }
                try note(InFlightRecords(records: [record], crashes: suspect ? evidence.crashes : 0))
                outputs += try await handle(record)
            }
        } else {
            try note(InFlightRecords(records: batch, crashes: 0))
            if let handleAll { outputs = try await handleAll(batch) } else {
                for record in batch { outputs += try await handle(record) }
            }
        }
        try clear()
        return outputs
    }

    private func note(_ records: InFlightRecords) throws {
        let bytes = Array(records.text.utf8)
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(descriptor, off_t(bytes.count)) == 0 else {
            throw CrashJournalError(path: path, errno: errno)
        }
    }

    private func clear() throws {
        guard ftruncate(descriptor, 0) == 0 else { throw CrashJournalError(path: path, errno: errno) }
    }
}

public struct CrashJournalError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "crash journal \(path): \(String(cString: strerror(errno)))" }
}
