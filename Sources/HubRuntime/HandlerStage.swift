import DeadLetters
import HubLogging
import Kafka
import Topics

/// A service's record handler on the shared failure path. The handler turns
/// one record into its outputs or throws a `RecordFailure`; the stage routes
/// failures (retry topic, dead letter, quarantine) in the same transaction
/// as the input offset, runs a `RetryStage` beside the input when the ladder
/// has steps, and dead-letters records that crash the service repeatedly.
/// Any other error thrown by the handler stops the service, as a crash does.
/// `beforeCommit` runs before each commit of the input and retry stages, and
/// a failure there stops the service too (a channel worker waits there for
/// the receipts it wrote outside the transaction).
public final class HandlerStage: HubService {
    /// `attempt` is 1 on the first read, 2 on the first retry, and so on.
    public typealias Handler = @Sendable (_ record: KafkaConsumerRecord, _ attempt: Int) async throws -> [KafkaProducerRecord]
    /// Records to write beside a dead letter, given the record as first read (a channel worker's `technical-failure` receipt).
    public typealias Exhausted = @Sendable (_ original: KafkaConsumerRecord, _ failure: RecordFailure) -> [KafkaProducerRecord]

    public let name: String
    private let input: TransactionalStage
    private let retry: RetryStage?

    public init(routing: FailureRouting, client: KafkaClientProperties, instance: String, groupID: String,
                subscription: KafkaSubscription, parallelism: Int = 1, crashes: CrashJournal.Settings?, metrics: MetricsRegistry,
                readiness: Readiness? = nil, logger: Logger, configureConsumer: (inout KafkaConsumerConfiguration) -> Void = { _ in },
                exhausted: Exhausted? = nil, beforeCommit: TransactionalStage.Preparation? = nil, handler: @escaping Handler) {
        name = routing.service
        let crashGuard = crashes.map { settings in
            CrashGuard(settings: settings) { record, crashes in
                [routing.route(record, failure: .crashedService(crashes: crashes, stage: "handle"))]
            }
        }
        input = TransactionalStage(
            name: routing.service, client: client, groupID: groupID, transactionalID: "\(instance)-\(routing.service)",
            subscription: subscription, parallelism: parallelism, metrics: metrics, readiness: readiness, logger: logger,
            configureConsumer: configureConsumer, crashGuard: crashGuard, beforeCommit: beforeCommit
        ) { record in
            do { return try await handler(record, 1) } catch let failure as RecordFailure {
                let routed = routing.route(record, failure: failure)
                return [routed] + (routed.topic == HubTopics.hubDeadLetter.name ? exhausted?(record, failure) ?? [] : [])
            }
        }
        retry = routing.ladder.delaysSeconds.isEmpty ? nil
            : RetryStage(routing: routing, client: client, instance: instance, groupID: "\(groupID)-retry", crashGuard: crashGuard, metrics: metrics,
                         logger: logger, exhausted: exhausted, beforeCommit: beforeCommit, handler: handler)
    }

    /// Runs the input stage and the retry stage; when either stops, both do.
    public func run(shutdown: ShutdownSignal) async throws {
        let stages: [any HubService] = [input] + (retry.map { [$0] } ?? [])
        let stop = ShutdownSignal()
        let relay = Task { await shutdown.wait(); stop.trigger() }
        defer { relay.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stage in stages {
                group.addTask {
                    defer { stop.trigger() }
                    try await stage.run(shutdown: stop)
                }
            }
            try await group.waitForAll()
        }
    }
}
