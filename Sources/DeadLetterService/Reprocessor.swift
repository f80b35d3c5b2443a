import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Topics

/// Sends dead letters back and sets them aside, safely. Each batch of
/// replayed records commits in one transaction with the dead letters' new
/// states, so a reprocessor killed mid-replay leaves every dead letter either
/// replayed and marked, or neither; run again, it continues with the open
/// ones. A stable transactional id fences a predecessor still running. The
/// replayed records keep their event ids, so consumers' de-duplication makes
/// a second replay (or Tansu's visible aborted records) harmless.
public final class Reprocessor {
    public struct Options: Sendable {
        public var to: String?
        public var dryRun = false
        /// Records per second; nil is as fast as the broker takes them.
        public var ratePerSecond: Double?
        public var limit: Int?
        public var operatorName: String
        public init(operatorName: String) { self.operatorName = operatorName }
    }

    public struct Outcome: Sendable, Hashable {
        public var matched = 0
        public var done = 0
        public var seconds = 0.0
    }

    private let client: KafkaClientProperties
    private let logger: Logger
    private let transactionalID: String
    private var producer: KafkaProducer?

    public init(client: KafkaClientProperties, logger: Logger, transactionalID: String = "hub-dlq-reprocessor") {
        self.client = client
        self.logger = logger.named("dlq")
        self.transactionalID = transactionalID
    }

    /// The OS user, when configuration names no operator.
    public static func operatorName(configured: String?) -> String {
        if let configured, !configured.isEmpty { return configured }
        return ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
    }

    /// Replays what `filter` matches (open dead letters unless the filter says otherwise), updating `index`.
    public func replay(_ index: inout DeadLetterIndex, filter: DeadLetterFilter, options: Options) async throws -> Outcome {
        let filter = filter.openUnlessStatesGiven
        let letters = index.query(filter, limit: options.limit)
        var outcome = Outcome(matched: letters.count)
        let actionId = UUID.random().lowercasedString
        let start = ContinuousClock.now
        let producer = try await fence()
        try await audit(producer, AuditRecord(action: "dlq.replay.started", operatorName: options.operatorName, filters: filter.summary,
                                              counts: ["matched": letters.count], dryRun: options.dryRun, target: options.to,
                                              at: Date(), actionId: actionId))
        if !options.dryRun {
            var pacer = Pacer(ratePerSecond: options.ratePerSecond)
            // Paced: a tenth of a second's worth per transaction; unpaced: fewer, larger transactions.
            let batchSize = options.ratePerSecond.map { max(1, min(200, Int($0 / 10))) } ?? 2_000
            for from in stride(from: 0, to: letters.count, by: batchSize) {
                let batch = Array(letters[from ..< min(letters.count, from + batchSize)])
                try await pacer.wait(for: batch.count)
                let now = Date()
                var records: [KafkaProducerRecord] = []
                var states: [DeadLetterState] = []
                for letter in batch {
                    records.append(Replay.record(for: letter, to: options.to, by: options.operatorName, at: now))
                    let state = Replay.state(for: letter, previous: index.states[letter.id], to: options.to, by: options.operatorName, at: now)
                    states.append(state)
                    records.append(try stateRecord(state))
                }
                try await inTransaction(producer) { _ = try await producer.sendAll(records) }
                for state in states { index.apply(state, id: state.id) }
                outcome.done += batch.count
            }
        }
        outcome.seconds = (ContinuousClock.now - start).inSeconds
        try await audit(producer, AuditRecord(action: "dlq.replay", operatorName: options.operatorName, filters: filter.summary,
                                              counts: ["matched": letters.count, "replayed": outcome.done], dryRun: options.dryRun,
                                              target: options.to, at: Date(), actionId: actionId))
        logger.notice("replay finished", ["matched": String(letters.count), "replayed": String(outcome.done), "dryRun": String(options.dryRun)])
        return outcome
    }

    /// Marks what `filter` matches as purged (hidden from `list` unless asked for).
    public func purge(_ index: inout DeadLetterIndex, filter: DeadLetterFilter, options: Options) async throws -> Outcome {
        let letters = index.query(filter, limit: options.limit)
        var outcome = Outcome(matched: letters.count)
        let producer = try await fence()
        let now = Date()
        if !options.dryRun {
            for from in stride(from: 0, to: letters.count, by: 500) {
                let states = letters[from ..< min(letters.count, from + 500)].map { letter in
                    DeadLetterState(id: letter.id, resolution: .purged, at: now, by: options.operatorName,
                                    replayedTo: index.states[letter.id]?.replayedTo, replays: index.states[letter.id]?.replays ?? 0)
                }
                let records = try states.map(stateRecord)
                try await inTransaction(producer) { _ = try await producer.sendAll(records) }
                for state in states { index.apply(state, id: state.id) }
                outcome.done += states.count
            }
        }
        try await audit(producer, AuditRecord(action: "dlq.purge", operatorName: options.operatorName, filters: filter.summary,
                                              counts: ["matched": letters.count, "purged": outcome.done], dryRun: options.dryRun,
                                              target: nil, at: now, actionId: UUID.random().lowercasedString))
        return outcome
    }

    /// Takes over the transactional id, aborting what a killed predecessor
    /// left open. Call it before loading the index: until then the state
    /// topic's open transaction can hide the predecessor's committed marks
    /// from a `read_committed` reader, and they would be replayed again.
    @discardableResult
    public func fence() async throws -> KafkaProducer {
        if let producer { return producer }
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.transactionalID = transactionalID
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        do { try await producer.initTransactions() } catch {
            await producer.close(flushTimeoutMilliseconds: 5_000)
            throw error
        }
        self.producer = producer
        return producer
    }

    /// Flushes and closes the producer.
    public func close() async {
        await producer?.close()
        producer = nil
    }

    private func inTransaction(_ producer: KafkaProducer, _ body: () async throws -> Void) async throws {
        try producer.beginTransaction()
        do {
            try await body()
            try await producer.commitTransaction()
        } catch {
            try? await producer.abortTransaction()
            throw error
        }
    }

    private func stateRecord(_ state: DeadLetterState) throws -> KafkaProducerRecord {
        KafkaProducerRecord(topic: HubTopics.hubDeadLetterState.name, partition: nil, key: Array(state.id.utf8),
                            value: try RecordJSON.bytes(state), headers: [], timestampMilliseconds: nil)
    }

    private func audit(_ producer: KafkaProducer, _ record: AuditRecord) async throws {
        let value = try RecordJSON.bytes(record)
        try await inTransaction(producer) {
            _ = try await producer.send(KafkaProducerRecord(topic: HubTopics.hubAudit.name, partition: nil, key: Array("dead-letters".utf8),
                                                            value: value, headers: [], timestampMilliseconds: nil))
        }
    }
}

/// Spaces sends to a rate: a token bucket holding at most a tenth of a second's worth.
struct Pacer {
    let ratePerSecond: Double?
    private var tokens = 0.0
    private var last = ContinuousClock.now

    init(ratePerSecond: Double?) { self.ratePerSecond = ratePerSecond }

    mutating func wait(for count: Int) async throws {
        guard let rate = ratePerSecond, rate > 0 else { return }
        let now = ContinuousClock.now
        tokens = min(max(1, rate / 10), tokens + (now - last).inSeconds * rate)
        last = now
        tokens -= Double(count)
        if tokens < 0 {
            try await Task.sleep(for: .seconds(-tokens / rate))
            last = ContinuousClock.now
            tokens = 0
        }
    }
}
