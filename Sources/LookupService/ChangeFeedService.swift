import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Lookups
import Topics

/// The change feed's Kafka shell: polls the register's change list and
/// publishes each change once to `dagr.changes` (`RegisterChangeTranslator`
/// names persons by client key only). The changes of one poll and the new
/// position (`dagr.changes.cursor`) are written in one transaction, so a
/// feed killed at any point starts again where its last commit ended:
/// nothing skipped, nothing twice. An entry that cannot be placed is
/// dead-lettered with its reason (its key hashed) and the feed goes on.
/// While the register cannot be reached, the feed waits and asks again.
public final class ChangeFeedService: HubService {
    public struct Settings: Sendable {
        /// How often the change list is asked while it has nothing new.
        public var pollEvery: Duration = .seconds(5)
        /// Changes asked for at once; a full page is followed at once by the next.
        public var pageSize: Int = 500
        /// The register's name: the cursor's key on `dagr.changes.cursor`.
        public var register: String = "dagr"
        public init(pollEvery: Duration = .seconds(5), pageSize: Int = 500, register: String = "dagr") {
            self.pollEvery = pollEvery
            self.pageSize = pageSize
            self.register = register
        }
    }

    public let name = "dagr-changes"
    private let source: any RegisterChangeSource
    private let translator: RegisterChangeTranslator
    private let client: KafkaClientProperties
    private let transactionalID: String
    private let settings: Settings
    private let metrics: MetricsRegistry
    private let readiness: Readiness?
    private let logger: Logger
    private let routing: FailureRouting

    public init(source: any RegisterChangeSource, pseudonymSecret: String, client: KafkaClientProperties, instance: String, settings: Settings = Settings(),
                metrics: MetricsRegistry, readiness: Readiness?, logger: Logger, hubVersion: String) {
        self.source = source
        translator = RegisterChangeTranslator(secret: pseudonymSecret)
        self.client = client
        transactionalID = "\(instance)-dagr-changes"
        self.settings = settings
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger.named("dagr-changes")
        routing = FailureRouting(service: "dagr-changes", ladder: .none, hubVersion: hubVersion)
        readiness?.register(name)
    }

    public func run(shutdown: ShutdownSignal) async throws {
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.transactionalID = transactionalID
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        // Fencing first aborts what a killed predecessor left open, so the cursor read next is the last committed one.
        try await producer.initTransactions()
        let cursor = try await Self.committedCursor(register: settings.register, client: client, logger: logger)
        logger.info("change feed starts", ["after": String(cursor)])
        readiness?.markReady(name)
        do { try await poll(producer: producer, from: cursor, shutdown: shutdown) } catch {
            await producer.close(flushTimeoutMilliseconds: 5_000)
            throw error
        }
        await producer.close()
    }

    /// Asks the change list until shutdown, publishing what is new after `start`.
    private func poll(producer: KafkaProducer, from start: Int, shutdown: ShutdownSignal) async throws {
        var cursor = start
        var quietFailures = 0
        while !shutdown.isTriggered {
            let answer = await source.changes(since: cursor, limit: settings.pageSize)
            switch answer {
            case .failed(let code):
                metrics.increment("hub_dagr_change_polls_total", labels: ["outcome": code], help: "Polls of the register's change list, by outcome.")
                // The first failure and every 60th after it are logged; the metric counts them all.
                if quietFailures % 60 == 0 { logger.warning("the register's change list cannot be read", ["reason": code]) }
                quietFailures += 1
            case .changes(let page):
                metrics.increment("hub_dagr_change_polls_total", labels: ["outcome": "ok"], help: "Polls of the register's change list, by outcome.")
                if quietFailures > 0 { logger.info("the register's change list is back", ["failedPolls": String(quietFailures)]) }
                quietFailures = 0
                let fresh = page.filter { ($0.changeId ?? Int.max) > cursor }
                if !fresh.isEmpty {
                    cursor = try await publish(fresh, after: cursor, producer: producer)
                    if page.count >= settings.pageSize { continue }
                }
            }
            await shutdown.sleep(for: settings.pollEvery)
        }
    }

    /// Writes one page's changes, dead letters and the new cursor in one transaction; the new cursor.
    private func publish(_ page: [UpstreamChange], after cursor: Int, producer: KafkaProducer) async throws -> Int {
        let now = Date()
        var records: [KafkaProducerRecord] = []
        var next = cursor
        for change in page {
            if let id = change.changeId { next = max(next, id) }
            switch translator.translate(change, publishedAt: now) {
            case .success(let published):
                records.append(KafkaProducerRecord(topic: HubTopics.dagrChanges.name, key: Array(published.objectKey.utf8),
                                                   value: try RecordJSON.bytes(published)))
                metrics.increment("hub_dagr_changes_total", labels: ["kind": published.kind], help: "Register changes published, by kind.")
            case .failure(let rejection):
                let entry = KafkaConsumerRecord(topic: HubTopics.dagrChanges.name, partition: -1, offset: Int64(change.changeId ?? -1), key: nil,
                                                value: try RecordJSON.bytes(translator.redacted(change)), headers: [],
                                                timestampMilliseconds: Int64(now.timeIntervalSince1970 * 1000))
                records.append(routing.route(entry, failure: RecordFailure(.permanent, code: rejection.code, message: rejection.message, stage: "translate"), now: now))
                metrics.increment("hub_dagr_changes_rejected_total", labels: ["reason": rejection.code], help: "Register changes dead-lettered, by reason.")
                logger.warning("register change dead-lettered", ["reason": rejection.code, "changeId": change.changeId.map(String.init) ?? "none"])
            }
        }
        records.append(KafkaProducerRecord(topic: HubTopics.dagrChangesCursor.name, key: Array(settings.register.utf8),
                                           value: try RecordJSON.bytes(ChangeFeedCursor(changeId: next, at: now))))
        try producer.beginTransaction()
        do {
            _ = try await producer.sendAll(records)
            try await producer.commitTransaction()
        } catch {
            try? await producer.abortTransaction()
            throw error
        }
        return next
    }

    /// The highest change id of `register` committed to `dagr.changes`, from the cursor topic; 0 before the first.
    public static func committedCursor(register: String, client: KafkaClientProperties, logger: Logger) async throws -> Int {
        let latest = try await TopicSnapshot.latestByKey(topic: HubTopics.dagrChangesCursor.name, client: client, logger: logger)
        return latest[register].flatMap { try? RecordJSON.decode(ChangeFeedCursor.self, from: Data($0)) }?.changeId ?? 0
    }
}
