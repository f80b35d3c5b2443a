import CRdKafka
import Foundation
import HubLogging
import Locking

/// The consumer's state between librdkafka's poll thread and the
/// application task: the record buffer, who owns which partition, what was
/// handed out and what was stored, and the automatic pause for back-pressure.
final class ConsumerCore: @unchecked Sendable {
    /// Set once, before the poll loop starts; read-only afterwards.
    nonisolated(unsafe) var handle: OpaquePointer!
    /// Topic names by librdkafka topic handle; touched by the poll thread only.
    nonisolated(unsafe) private var topicNames: [OpaquePointer: String] = [:]

    private let configuration: KafkaConsumerConfiguration
    private let logger: Logger
    private let onRebalance: (@Sendable (KafkaRebalanceEvent) -> Void)?
    private let state: PosixMutex<State>

    private struct Waiter {
        var id: UInt64 = 0
        let max: Int
        let continuation: CheckedContinuation<[KafkaConsumerRecord], Never>
    }

    private struct State {
        var buffer: [KafkaConsumerRecord] = []
        var head = 0
        var waiter: Waiter?
        var nextWaiterID: UInt64 = 0
        var stopped = false
        var assignment: Set<KafkaTopicPartition> = []
        /// Highest offset handed to the application, per partition.
        var handedOut: [KafkaTopicPartition: Int64] = [:]
        /// Highest offset the application stored, per partition.
        var stored: [KafkaTopicPartition: Int64] = [:]
        /// A duplicate skipped while an earlier record was still being processed.
        var skipped: [KafkaTopicPartition: Int64] = [:]
        var userPaused: Set<KafkaTopicPartition> = []
        var autoPaused = false
        /// When the buffer last became full while fetching was not paused (uptime ns).
        var fullSince: UInt64?
        var deduplicator: RecordDeduplicator?
        var duplicates = 0

        var buffered: Int { buffer.count - head }

        func inFlight(_ partition: KafkaTopicPartition) -> Bool {
            guard let handed = handedOut[partition] else { return false }
            return handed > (stored[partition] ?? -1)
        }
    }

    init(configuration: KafkaConsumerConfiguration, logger: Logger,
         onRebalance: (@Sendable (KafkaRebalanceEvent) -> Void)?) {
        self.configuration = configuration
        self.logger = logger
        self.onRebalance = onRebalance
        var initial = State()
        if let dedup = configuration.deduplication { initial.deduplicator = RecordDeduplicator(window: dedup.window) }
        self.state = PosixMutex(initial)
    }

    // MARK: Application side

    /// Waits for records; a cancelled task gets an empty batch at once.
    func take(max: Int) async -> [KafkaConsumerRecord] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: [KafkaConsumerRecord]? = state.withLock { state in
                    let batch = popReady(&state, max: max)
                    if !batch.isEmpty || state.stopped || Task.isCancelled { return batch }
                    state.waiter = Waiter(max: max, continuation: continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.continuation.resume(returning: [])
        }
    }

    /// Like `take`, but returns an empty batch once `timeout` passes with
    /// nothing ready. Records are only ever removed by the waiter that gets
    /// them, so an expiring wait cannot lose any.
    func take(max: Int, timeout: Duration) async -> [KafkaConsumerRecord] {
        await withCheckedContinuation { continuation in
            let outcome: (ready: [KafkaConsumerRecord]?, id: UInt64) = state.withLock { state in
                let batch = popReady(&state, max: max)
                if !batch.isEmpty || state.stopped { return (batch, 0) }
                state.nextWaiterID += 1
                state.waiter = Waiter(id: state.nextWaiterID, max: max, continuation: continuation)
                return (nil, state.nextWaiterID)
            }
            if let ready = outcome.ready { continuation.resume(returning: ready); return }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                let expired: Waiter? = state.withLock { state in
                    guard let waiter = state.waiter, waiter.id == outcome.id else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.continuation.resume(returning: [])
            }
        }
    }

    /// Hands out up to `max` records in order, skipping duplicates.
    private func popReady(_ state: inout State, max: Int) -> [KafkaConsumerRecord] {
        var batch: [KafkaConsumerRecord] = []
        while batch.count < max, state.head < state.buffer.count {
            let record = state.buffer[state.head]
            state.head += 1
            let partition = record.topicPartition
            if let header = configuration.deduplication?.header, let id = record.headers.string(header),
               state.deduplicator?.admit(id) == false {
                state.duplicates += 1
                if state.inFlight(partition) || batch.contains(where: { $0.topicPartition == partition }) {
                    // Stored together with the record before it (see store).
                    state.skipped[partition] = record.offset
                } else {
                    storeOffsets([record.nextOffset])
                    state.stored[partition] = record.offset
                }
                state.handedOut[partition] = record.offset
                continue
            }
            state.handedOut[partition] = record.offset
            batch.append(record)
        }
        if state.head > 4096, state.head * 2 > state.buffer.count {
            state.buffer.removeFirst(state.head)
            state.head = 0
        }
        return batch
    }

    func store(_ offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        let effective: [KafkaTopicPartitionOffset] = state.withLock { state in
            offsets.compactMap { entry in
                let partition = entry.topicPartition
                // After a revocation the new owner reprocesses; storing here would be refused.
                guard state.assignment.contains(partition) else { return nil }
                var offset = entry.offset - 1
                if let skipped = state.skipped[partition], skipped > offset, state.handedOut[partition] == skipped {
                    offset = skipped
                    state.skipped[partition] = nil
                }
                state.stored[partition] = max(state.stored[partition] ?? -1, offset)
                return KafkaTopicPartitionOffset(topicPartition: partition, offset: offset + 1)
            }
        }
        if effective.isEmpty { return }
        if let error = storeOffsets(effective) { throw error }
    }

    @discardableResult
    private func storeOffsets(_ offsets: [KafkaTopicPartitionOffset]) -> KafkaError? {
        let list = RDKafkaTopicPartitionList(offsets)
        let err = rd_kafka_offsets_store(handle, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { return KafkaError(err, context: "store offsets") }
        return list.firstError
    }

    func setPaused(_ partitions: [KafkaTopicPartition], paused: Bool) throws(KafkaError) {
        state.withLock { state in
            if paused { state.userPaused.formUnion(partitions) } else { state.userPaused.subtract(partitions) }
        }
        // Resuming what the automatic pause holds waits for the buffer to drain.
        let effective = paused ? partitions : partitions.filter { _ in !state.withLock { $0.autoPaused } }
        if let error = pauseResume(effective, pause: paused) { throw error }
    }

    var currentAssignment: [KafkaTopicPartition] { state.withLock { $0.assignment.sorted() } }

    var duplicatesSkipped: Int { state.withLock { $0.duplicates } }

    /// The next offset to read per assigned partition; partitions not fetched yet are left out.
    func positions() -> [KafkaTopicPartition: Int64] {
        let partitions = currentAssignment
        if partitions.isEmpty { return [:] }
        let list = RDKafkaTopicPartitionList(partitions)
        guard rd_kafka_position(handle, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [KafkaTopicPartition: Int64] = [:]
        for entry in list.entries where entry.offset >= 0 { result[entry.topicPartition] = entry.offset }
        return result
    }

    func lag() -> [KafkaTopicPartition: Int64] {
        let partitions = currentAssignment
        if partitions.isEmpty { return [:] }
        let list = RDKafkaTopicPartitionList(partitions)
        guard rd_kafka_position(handle, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [KafkaTopicPartition: Int64] = [:]
        for entry in list.entries {
            var low: Int64 = 0, high: Int64 = 0
            let err = rd_kafka_get_watermark_offsets(handle, entry.topicPartition.topic, entry.topicPartition.partition, &low, &high)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { continue }
            let position = entry.offset >= 0 ? entry.offset : low
            result[entry.topicPartition] = Swift.max(0, high - position)
        }
        return result
    }

    func stopFetching() {
        let waiter: Waiter? = state.withLock { state in
            state.stopped = true
            state.buffer.removeAll()
            state.head = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume(returning: [])
    }

    // MARK: Poll thread

    /// Back-pressure upkeep, then one short poll plus whatever else is ready.
    func pollOnce() {
        if holdBack() {
            // Leave records in librdkafka's queue, which bounds itself
            // (`queued.max.messages.kbytes`) and keeps what it prefetched.
            usleep(5_000)
            return
        }
        var records: [KafkaConsumerRecord] = []
        var message = rd_kafka_consumer_poll(handle, 100)
        while let current = message {
            if let record = convert(current) { records.append(record) }
            rd_kafka_message_destroy(current)
            if records.count >= 500 { break }
            message = rd_kafka_consumer_poll(handle, 0)
        }
        if !records.isEmpty { push(records) }
    }

    private func convert(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerRecord? {
        let m = message.pointee
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let error = KafkaError(m.err, context: String(cString: rd_kafka_message_errstr(message)))
                logger.log(m.err == RD_KAFKA_RESP_ERR__FATAL ? .critical : .warning, "consumer error",
                           ["error": error.description])
            }
            return nil
        }
        let topic: String
        if let rkt = m.rkt {
            if let cached = topicNames[rkt] { topic = cached } else {
                topic = String(cString: rd_kafka_topic_name(rkt))
                topicNames[rkt] = topic
            }
        } else { topic = "" }
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer? = nil
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>? = nil
            var value: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: bytes))
                index += 1
            }
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        return KafkaConsumerRecord(
            topic: topic, partition: m.partition, offset: m.offset,
            key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
            value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
            headers: headers,
            timestampMilliseconds: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }

    private func push(_ records: [KafkaConsumerRecord]) {
        let delivery: (Waiter, [KafkaConsumerRecord])? = state.withLock { state in
            guard !state.stopped else { return nil }
            state.buffer.append(contentsOf: records.filter { state.assignment.contains($0.topicPartition) })
            guard let waiter = state.waiter else { return nil }
            let batch = popReady(&state, max: waiter.max)
            guard !batch.isEmpty else { return nil }
            state.waiter = nil
            return (waiter, batch)
        }
        if let (waiter, batch) = delivery { waiter.continuation.resume(returning: batch) }
    }

    /// Two levels of back-pressure when the buffer is full. First the poll
    /// thread stops taking records, which costs nothing: librdkafka keeps
    /// its prefetched records and stops fetching when its own queue is full.
    /// But rebalances are only served by polling, so after
    /// `backPressurePauseAfterMilliseconds` the partitions are paused (which
    /// discards librdkafka's prefetched records, fetched again on resume)
    /// and polling goes on, so the group never waits on a slow member.
    /// Below half the capacity the consumer resumes. True: skip this poll.
    private func holdBack() -> Bool {
        let capacity = configuration.bufferCapacity
        let holdLimit = UInt64(configuration.backPressurePauseAfterMilliseconds) * 1_000_000
        let now = DispatchTime.now().uptimeNanoseconds
        let (hold, change): (Bool, (pause: Bool, partitions: [KafkaTopicPartition])?) = state.withLock { state in
            let partitions = state.assignment.subtracting(state.userPaused).sorted()
            if state.stopped {
                guard !state.autoPaused else { return (false, nil) }
                state.autoPaused = true
                return (false, (true, partitions))
            }
            if state.buffered >= capacity {
                guard !state.autoPaused else { return (false, nil) }
                let since = state.fullSince ?? now
                state.fullSince = since
                if now - since < holdLimit { return (true, nil) }
                state.fullSince = nil
                state.autoPaused = true
                return (false, (true, partitions))
            }
            state.fullSince = nil
            if state.autoPaused, state.buffered <= capacity / 2 {
                state.autoPaused = false
                return (false, (false, partitions))
            }
            return (false, nil)
        }
        if let change, let error = pauseResume(change.partitions, pause: change.pause) {
            logger.warning("automatic pause/resume failed", ["error": error.description])
        }
        return hold
    }

    private func pauseResume(_ partitions: [KafkaTopicPartition], pause: Bool) -> KafkaError? {
        if partitions.isEmpty { return nil }
        let list = RDKafkaTopicPartitionList(partitions)
        let err = pause ? rd_kafka_pause_partitions(handle, list.pointer) : rd_kafka_resume_partitions(handle, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { return KafkaError(err, context: pause ? "pause" : "resume") }
        return list.firstError
    }

    // MARK: Rebalance (runs on the poll thread, or the closing thread)

    func rebalance(_ handle: OpaquePointer, _ err: rd_kafka_resp_err_t,
                   _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let entries = RDKafkaTopicPartitionList.entries(of: partitions).map(\.topicPartition)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let assigned = assign(handle, partitions, cooperative: cooperative)
            let pauseNew: Bool = state.withLock { state in
                if !cooperative { state.assignment = [] }
                if assigned {
                    state.assignment.formUnion(entries)
                    for partition in entries {
                        state.handedOut[partition] = nil
                        state.stored[partition] = nil
                        state.skipped[partition] = nil
                    }
                }
                return state.autoPaused
            }
            if pauseNew { _ = pauseResume(entries, pause: true) }
            logger.info("partitions assigned", ["partitions": entries.map(\.description).joined(separator: ",")])
            onRebalance?(.assigned(entries))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            let revoked = Set(entries)
            state.withLock { state in
                state.buffer = state.buffer[state.head...].filter { !revoked.contains($0.topicPartition) }
                state.head = 0
            }
            if !lost {
                waitForInFlight(revoked)
                if configuration.enableAutoCommit {
                    let commitErr = rd_kafka_commit(handle, nil, 0)
                    if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR && commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                        logger.warning("commit on revocation failed", ["error": KafkaError(commitErr).description])
                    }
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.error("incremental unassign failed", ["error": KafkaError(consuming: error).description])
                }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
            state.withLock { state in
                state.assignment.subtract(revoked)
                state.userPaused.subtract(revoked)
                for partition in revoked {
                    state.handedOut[partition] = nil
                    state.stored[partition] = nil
                    state.skipped[partition] = nil
                }
            }
            logger.info(lost ? "partitions lost" : "partitions revoked",
                        ["partitions": entries.map(\.description).joined(separator: ",")])
            onRebalance?(lost ? .lost(entries) : .revoked(entries))
        default:
            logger.error("rebalance failed", ["error": KafkaError(err).description])
            _ = rd_kafka_assign(handle, nil)
            state.withLock { $0.assignment = [] }
        }
    }

    /// Takes `partitions` from their first offset without joining the group.
    /// Assigns partitions at offsets (or RD_KAFKA_OFFSET_BEGINNING), outside any group.
    func assign(_ partitions: [(KafkaTopicPartition, Int64)]) -> rd_kafka_resp_err_t {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for (partition, offset) in partitions { list.add(partition, offset: offset) }
        let err = rd_kafka_assign(handle, list.pointer)
        if err == RD_KAFKA_RESP_ERR_NO_ERROR { state.withLock { $0.assignment = Set(partitions.map(\.0)) } }
        return err
    }

    private func assign(_ handle: OpaquePointer, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                        cooperative: Bool) -> Bool {
        if cooperative {
            if let error = rd_kafka_incremental_assign(handle, partitions) {
                logger.error("incremental assign failed", ["error": KafkaError(consuming: error).description])
                return false
            }
            return true
        }
        let err = rd_kafka_assign(handle, partitions)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.error("assign failed", ["error": KafkaError(err).description])
            return false
        }
        return true
    }

    /// Lets records already handed to the application finish and be stored,
    /// so the next owner does not process them again.
    private func waitForInFlight(_ partitions: Set<KafkaTopicPartition>) {
        if configuration.revokeGraceMilliseconds <= 0 { return }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(configuration.revokeGraceMilliseconds) * 1_000_000
        while DispatchTime.now().uptimeNanoseconds < deadline {
            let busy = state.withLock { state in partitions.contains { state.inFlight($0) } }
            if !busy { return }
            usleep(2_000)
        }
        logger.warning("revocation grace period ended with records still in processing")
    }
}
