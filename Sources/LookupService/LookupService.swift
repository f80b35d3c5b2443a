import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Lookups
import Locking
import Topics

/// The lookup service's Kafka shell: follows the access policy
/// (`dagr.policy`), reads `dagr.lookup.requests`, answers each through the
/// `LookupResolver`, sends the reply (to the request's reply topic) at once,
/// and writes the audit record in one transaction with the request's
/// offset: exactly one audit per request, and a caller that need not wait
/// for the batch's commit. A request read again after a crash may be
/// answered twice (the client takes the first); it is audited once. A reply
/// the producer refuses at once goes out with the transaction instead; the
/// handler does not wait for the broker to acknowledge a reply (its place
/// among the `inFlight` goes to the next request), and a reply the broker
/// never acknowledges is counted and logged (its caller has long stopped
/// waiting by then). Requests are handled side by side (`inFlight`); a request that is not a
/// lookup request v1, or names a reply topic outside `dagr.lookup.replies*`,
/// is dead-lettered.
public final class LookupService: HubService {
    public let name = "dagr-lookup"
    private let resolver: LookupResolver
    private let client: KafkaClientProperties
    private let instance: String
    private let inFlight: Int
    private let metrics: MetricsRegistry
    private let readiness: Readiness?
    private let logger: Logger
    private let hubVersion: String
    private let crashes: CrashJournal.Settings?
    private let groupID: String

    public init(resolver: LookupResolver, client: KafkaClientProperties, instance: String, groupID: String = "hub-dagr-lookup", inFlight: Int = 64,
                metrics: MetricsRegistry, readiness: Readiness?, logger: Logger, hubVersion: String, crashes: CrashJournal.Settings?) {
        self.groupID = groupID
        self.resolver = resolver
        self.client = client
        self.instance = instance
        self.inFlight = inFlight
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger.named("dagr-lookup")
        self.hubVersion = hubVersion
        self.crashes = crashes
    }

    public func run(shutdown: ShutdownSignal) async throws {
        let policies = PosixMutex<[String: LookupPolicy]>([:])
        let table = CompactedTable(topic: HubTopics.dagrPolicy.name, client: client, logger: logger) { key, value in
            policies.withLock { table in
                table[key] = value.flatMap { try? RecordJSON.decode(LookupPolicy.self, from: Data($0)) }
            }
        }
        let stopFollowing = ShutdownSignal()
        let following = Task { try await table.follow(until: stopFollowing) }
        defer { stopFollowing.trigger(); following.cancel() }
        try await table.caughtUp()
        logger.info("access policy loaded", ["agencies": String(policies.withLock { $0.count })])
        let resolver = self.resolver, metrics = self.metrics, logger = self.logger
        var repliesConfiguration = KafkaProducerConfiguration(client: client)
        repliesConfiguration.lingerMilliseconds = LookupRoundTrip.lingerMilliseconds
        let replies = try KafkaProducer(configuration: repliesConfiguration, logger: logger)
        let stage = HandlerStage(
            routing: FailureRouting(service: name, ladder: .none, hubVersion: hubVersion), client: client, instance: instance,
            groupID: groupID, subscription: .topics([HubTopics.dagrLookupRequests.name]), parallelism: inFlight, crashes: crashes,
            metrics: metrics, readiness: readiness, logger: logger,
            configureConsumer: { $0.maxFetchWaitMilliseconds = LookupRoundTrip.maxFetchWaitMilliseconds }
        ) { record, _ in
            let received = Date()
            guard let value = record.value, let request = try? RecordJSON.decode(LookupRequest.self, from: Data(value)) else {
                throw RecordFailure(.permanent, code: "invalid_request", message: "not a lookup request v1", stage: "read")
            }
            guard request.replyTopic.hasPrefix(HubTopics.dagrLookupReplies.name) else {
                throw RecordFailure(.permanent, code: "bad_reply_topic", message: "replies go to dagr.lookup.replies or a topic under it", stage: "read")
            }
            let resolution = await resolver.resolve(request, policies: policies.withLock { $0 }, received: received)
            let labels = ["agency": request.requester.agency, "query": request.queryType.rawValue, "outcome": resolution.audit.outcome.rawValue]
            metrics.increment("hub_lookups_total", labels: labels, help: "Lookups answered, by requester agency, query type and outcome.")
            metrics.set("hub_lookup_last_latency_ms", resolution.audit.latencyMilliseconds, labels: ["query": request.queryType.rawValue],
                        help: "The latest lookup's time in the service.")
            let key = Array(request.correlationId.lowercasedString.utf8)
            var outputs = [KafkaProducerRecord(topic: HubTopics.dagrLookupAudit.name, key: key, value: try RecordJSON.bytes(resolution.audit))]
            if let reply = resolution.reply {
                let record = KafkaProducerRecord(topic: request.replyTopic, key: key, value: try RecordJSON.bytes(reply))
                do {
                    try await replies.enqueue(record) { result in
                        guard case .failure(let error) = result else { return }
                        metrics.increment("hub_lookup_replies_failed_total", help: "Replies the broker never acknowledged.")
                        logger.warning("reply not delivered", ["topic": record.topic, "error": String(describing: error)])
                    }
                } catch {
                    metrics.increment("hub_lookup_replies_deferred_total", help: "Replies not sent at once, sent with the audit's transaction instead.")
                    outputs.append(record)
                }
            }
            return outputs
        }
        do { try await stage.run(shutdown: shutdown) } catch {
            await replies.close(flushTimeoutMilliseconds: 5_000)
            throw error
        }
        await replies.close()
    }
}
