import CRdKafka
import Locking
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
///
/// Records whose caller need not wait (a channel worker's outcome receipts)
/// are `post`ed into the same groups; `settle` then waits until every record
/// posted before it is acknowledged, and throws if any failed: what a stage
/// calls before it commits the offsets those records answer for.
public final class KafkaGroupedSender: Sendable {
    private struct Waiting: Sendable {
        let record: KafkaProducerRecord
        let done: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
    }

    private struct State {
        var waiting: [Waiting] = []
        /// Counts the groups formed, so a timer set for one group does not cut the next one short.
        var generation = 0
    }

    /// Posted records by sequence number: which the broker acknowledged, the first failure, and who waits.
    private struct Posted {
        /// The sequence number the next post gets.
        var next = 0
        /// The lowest sequence number not yet acknowledged: every record below it is.
        var base = 0
        /// `acknowledged[i]` is sequence `first + i`, kept from `base` on (earlier ones are dropped now and then).
        var acknowledged: [Bool] = []
        var first = 0
        var failure: KafkaError?
        var waiters: [(upTo: Int, continuation: CheckedContinuation<Void, any Error>)] = []

        mutating func post() -> Int {
            acknowledged.append(false)
            defer { next += 1 }
            return next
        }

        /// Marks `sequence` acknowledged (or failed); returns the waiters now answered.
        mutating func acknowledge(_ sequence: Int, failure: KafkaError?) -> [(CheckedContinuation<Void, any Error>, Result<Void, any Error>)] {
            if let failure, self.failure == nil { self.failure = failure }
            acknowledged[sequence - first] = true
            while base < next && acknowledged[base - first] { base += 1 }
            if base - first >= 1_024 {
                acknowledged.removeFirst(base - first)
                first = base
            }
            return answered()
        }

        mutating func answered() -> [(CheckedContinuation<Void, any Error>, Result<Void, any Error>)] {
            var ready: [(CheckedContinuation<Void, any Error>, Result<Void, any Error>)] = []
            waiters.removeAll { waiter in
                if let failure {
                    ready.append((waiter.continuation, .failure(failure)))
                    return true
                }
                guard waiter.upTo < base else { return false }
                ready.append((waiter.continuation, .success(())))
                return true
            }
            return ready
        }
    }

    public let groupSize: Int
    public let maximumWait: Duration
    private let producer: KafkaProducer
    private let state = PosixMutex(State())
    private let posted = PosixMutex(Posted())
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
        add(Waiting(record: record) { outcome.fulfil($0) })
        return try await outcome.value.get()
    }

    /// Hands the record over in the next group without waiting for it; `settle` waits for it.
    public func post(_ record: KafkaProducerRecord) {
        let sequence = posted.withLock { $0.post() }
        add(Waiting(record: record) { [self] result in
            let failure: KafkaError?
            if case .failure(let error) = result { failure = error } else { failure = nil }
            for (continuation, outcome) in posted.withLock({ $0.acknowledge(sequence, failure: failure) }) { continuation.resume(with: outcome) }
        })
    }

    /// Returns once every record posted before the call is acknowledged; throws the first failure of a posted
    /// record (then and on every later call). Records waiting for their group go at once.
    public func settle() async throws {
        let group = state.withLock { state in state.waiting.isEmpty ? nil : Self.take(&state) }
        if let group { start(group) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready = posted.withLock { posted in
                posted.waiters.append((posted.next - 1, continuation))
                return posted.answered()
            }
            for (waiting, outcome) in ready { waiting.resume(with: outcome) }
        }
    }

    private func add(_ waiting: Waiting) {
        let (group, timerFor) = state.withLock { state -> ([Waiting]?, Int?) in
            state.waiting.append(waiting)
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
            let done = waiting.done
            let err = producer.produce(waiting.record, completion: done)
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                // The local queue is full: this record waits for room on its own, without blocking the caller's thread.
                let producer = self.producer
                Task {
                    do throws(KafkaError) { try await producer.enqueue(waiting.record, completion: done) }
                    catch { done(.failure(error)) }
                }
            } else {
                done(.failure(KafkaError(err, context: "produce to \(waiting.record.topic)")))
            }
        }
    }
}
