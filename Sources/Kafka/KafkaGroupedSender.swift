import CRdKafka
import Synchronization

/// Sends records whose callers each wait for the broker's acknowledgement
/// before going on (a channel worker's `sending` receipts), in groups: a
/// record waits until `groupSize` records wait with it or the first of them
/// has waited `maximumWait`, and the group goes to librdkafka at once. The
/// broker's cost is mostly per request (on Tansu several hundred µs each),
/// so a worker that keeps `groupSize` records in hand pays it once per
/// group instead of once per record; `maximumWait` bounds what a lone
/// record waits at low traffic. Give the producer a `linger.ms` of about a
/// millisecond so a group leaves as one request per partition.
public final class KafkaGroupedSender: Sendable {
    private struct Waiting: Sendable {
        let record: KafkaProducerRecord
        let outcome: OneShot<Result<KafkaDeliveryReport, KafkaError>>
    }

    private struct State {
        var waiting: [Waiting] = []
        /// Counts the groups formed, so a timer set for one group does not cut the next one short.
        var generation = 0
    }

    public let groupSize: Int
    public let maximumWait: Duration
    private let producer: KafkaProducer
    private let state = Mutex(State())
    private let groupCount = Atomic<Int>(0)

    public init(producer: KafkaProducer, groupSize: Int, maximumWait: Duration = .milliseconds(2)) {
        self.producer = producer
        self.groupSize = max(1, groupSize)
        self.maximumWait = maximumWait
    }

    /// Groups handed to librdkafka so far.
    public var groups: Int { groupCount.load(ordering: .relaxed) }

    /// Returns once the broker acknowledged the record.
    public func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        let outcome = OneShot<Result<KafkaDeliveryReport, KafkaError>>()
        let (group, timerFor) = state.withLock { state -> ([Waiting]?, Int?) in
            state.waiting.append(Waiting(record: record, outcome: outcome))
            if state.waiting.count >= groupSize { return (Self.take(&state), nil) }
            return (nil, state.waiting.count == 1 ? state.generation : nil)
        }
        if let group { start(group) }
        if let generation = timerFor {
            let wait = maximumWait
            Task { [self] in
                try? await Task.sleep(for: wait)
                let late = state.withLock { state -> [Waiting]? in
                    state.generation == generation && !state.waiting.isEmpty ? Self.take(&state) : nil
                }
                if let late { start(late) }
            }
        }
        return try await outcome.value.get()
    }

    private static func take(_ state: inout State) -> [Waiting] {
        defer {
            state.waiting = []
            state.generation &+= 1
        }
        return state.waiting
    }

    /// Hands a group to librdkafka; each record's outcome arrives on the producer's poll thread.
    private func start(_ group: [Waiting]) {
        groupCount.add(1, ordering: .relaxed)
        for waiting in group {
            let outcome = waiting.outcome
            let err = producer.produce(waiting.record) { outcome.fulfil($0) }
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                // The local queue is full: this record waits for room on its own, without blocking the caller's thread.
                let producer = self.producer
                Task {
                    do throws(KafkaError) { try await producer.enqueue(waiting.record) { outcome.fulfil($0) } }
                    catch { outcome.fulfil(.failure(error)) }
                }
            } else {
                outcome.fulfil(.failure(KafkaError(err, context: "produce to \(waiting.record.topic)")))
            }
        }
    }
}
