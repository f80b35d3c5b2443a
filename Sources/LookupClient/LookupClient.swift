import Foundation
import HubLogging
import Kafka
import Locking
import Synchronization
import Topics

/// The integrators' client: `lookup(...)` publishes a request on
/// `dagr.lookup.requests` and waits for its reply on the client's reply
/// topic (read from its end by assignment, so no group and no rebalancing),
/// matched by correlation id. Past the deadline it answers `timeout`
/// itself; a reply arriving later, or a second reply to one request (the
/// service may answer a request again after a crash), is dropped.
public final class LookupClient: Sendable {
    public let requester: Requester
    public let replyTopic: String
    private let producer: KafkaProducer
    private let consumer: KafkaConsumer
    private let waiting = PosixMutex<[UUID: CheckedContinuation<LookupReply, Never>]>([:])
    private let reading: PosixMutex<Task<Void, Never>?> = PosixMutex(nil)
    private let stopped = Atomic<Bool>(false)

    /// Connects and starts reading replies; `replyTopic` must exist (`dagr.lookup.replies` or one under it).
    public init(client: KafkaClientProperties, requester: Requester, replyTopic: String = HubTopics.dagrLookupReplies.name,
                logger: Logger = Logger(component: "lookup-client", threshold: .warning)) async throws {
        self.requester = requester
        self.replyTopic = replyTopic
        var producerConfiguration = KafkaProducerConfiguration(client: client)
        producerConfiguration.lingerMilliseconds = LookupRoundTrip.lingerMilliseconds
        producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "lookup-client-\(UUID().uuidString.prefix(8))")
        configuration.enableAutoCommit = false
        configuration.maxFetchWaitMilliseconds = LookupRoundTrip.maxFetchWaitMilliseconds
        // From the ends as they are now, resolved before the first request: a reply written at once is not skipped.
        consumer = try await KafkaConsumer.fromEnds(of: [replyTopic], configuration: configuration, logger: logger)
        let task = Task { [self] in await read() }
        reading.withLock { $0 = task }
    }

    /// Asks and waits: the reply, or `timeout` once `deadline` passes.
    public func lookup(_ type: LookupQueryType, _ parameters: [String: String], purpose: String,
                       timeout: Duration = .seconds(2)) async throws -> LookupReply {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        let request = LookupRequest(correlationId: UUID(), replyTopic: replyTopic, requester: requester, purpose: purpose, queryType: type,
                                    parameters: parameters, deadline: deadline)
        let id = request.correlationId
        let record = KafkaProducerRecord(topic: HubTopics.dagrLookupRequests.name, key: Array(id.lowercasedString.utf8),
                                         value: try RecordJSON.bytes(request))
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            answer(LookupReply(correlationId: id, outcome: .timeout, reason: "no_reply_by_deadline"))
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiting.withLock { $0[id] = continuation }
            Task { [self] in
                do { _ = try await producer.send(record) } catch {
                    answer(LookupReply(correlationId: id, outcome: .unavailable, reason: "request_not_sent"))
                }
            }
        }
    }

    private func answer(_ reply: LookupReply) {
        waiting.withLock { $0.removeValue(forKey: reply.correlationId) }?.resume(returning: reply)
    }

    private func read() async {
        while !stopped.load(ordering: .relaxed) {
            for record in await consumer.nextBatch(max: 1_000, timeout: .milliseconds(50)) {
                guard let value = record.value, let reply = try? RecordJSON.decode(LookupReply.self, from: Data(value)) else { continue }
                answer(reply)
            }
        }
    }

    public func close() async {
        stopped.store(true, ordering: .relaxed)
        await reading.withLock { $0 }?.value
        await consumer.close()
        await producer.close()
        for continuation in waiting.withLock({ state in defer { state = [:] }; return Array(state.values) }) {
            continuation.resume(returning: LookupReply(correlationId: UUID(), outcome: .unavailable, reason: "client_closed"))
        }
    }
}
