import CRdKafka
import Foundation
import HubLogging
import Synchronization

/// Sends records and reports when the broker has them. One instance is
/// shared by all of a service's tasks; librdkafka batches their records.
/// A producer with a transactional id also runs Kafka transactions, the
/// basis of consume-transform-produce stages that neither lose nor double.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    private let pollLoop: PollLoop
    private let logger: Logger
    private let closed = Atomic<Bool>(false)
    /// Whether this producer was configured with a transactional id.
    public let isTransactional: Bool

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        let logger = logger.named("kafka.producer")
        let client = try RDKafkaClient(role: .producer, properties: configuration.properties,
                                       callbacks: RDKafkaCallbacks(logger: logger))
        self.client = client
        self.logger = logger
        self.isTransactional = configuration.transactionalID != nil
        // Serves delivery reports and logs; 100 ms bounds how long stop() waits.
        self.pollLoop = PollLoop(name: "kafka-producer-poll") { _ = rd_kafka_poll(client.handle, 100) }
    }

    deinit {
        pollLoop.stop()
        client.destroy()
    }

    /// Sends one record and returns once the broker acknowledged it.
    public func send(_ record: KafkaProducerRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        let outcome = OneShot<Result<KafkaDeliveryReport, KafkaError>>()
        try await enqueue(record) { outcome.fulfil($0) }
        return try await outcome.value.get()
    }

    /// Sends records in order and returns once all are acknowledged; the
    /// first failure is thrown after every record has an outcome.
    public func sendAll(_ records: [KafkaProducerRecord]) async throws(KafkaError) -> [KafkaDeliveryReport] {
        if records.isEmpty { return [] }
        let outcome = OneShot<Result<[KafkaDeliveryReport], KafkaError>>()
        let collector = DeliveryCollector(count: records.count) { outcome.fulfil($0) }
        for (index, record) in records.enumerated() {
            do { try await enqueue(record) { collector.record(index, $0) } }
            catch {
                // Records not enqueued still need an outcome so the waiter finishes.
                for rest in index..<records.count { collector.record(rest, .failure(error)) }
                break
            }
        }
        return try await outcome.value.get()
    }

    /// Hands records to librdkafka inside the open transaction, in order,
    /// without a delivery report for each: `commitTransaction` flushes them
    /// and fails if any of them failed, so a stage that commits them need
    /// not track them one by one (nor wait for their acknowledgements before
    /// adding its offsets to the transaction). Waits while the local queue is full.
    public func sendInTransaction(_ records: [KafkaProducerRecord]) async throws(KafkaError) {
        try requireTransactional("sendInTransaction")
        for record in records { try await produceWaiting(record, completion: nil) }
    }

    /// Hands a record to librdkafka; `completion` runs on the poll thread
    /// with the broker's answer. Waits (without blocking a thread) while the
    /// local queue is full.
    public func enqueue(_ record: KafkaProducerRecord,
                        completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) async throws(KafkaError) {
        try await produceWaiting(record, completion: completion)
    }

    /// Produces, waiting (without blocking a thread) while the local queue is full.
    private func produceWaiting(_ record: KafkaProducerRecord,
                                completion: (@Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void)?) async throws(KafkaError) {
        while true {
            let err = produce(record, completion: completion)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                try? await Task.sleep(nanoseconds: 1_000_000)
                if closed.load(ordering: .acquiring) { throw KafkaError.closed }
                continue
            }
            throw KafkaError(err, context: "produce to \(record.topic)")
        }
    }

    /// Without a `completion` the record carries no waiter and its delivery report is dropped.
    func produce(_ record: KafkaProducerRecord,
                         completion: (@Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void)?) -> rd_kafka_resp_err_t {
        if closed.load(ordering: .acquiring) { return RD_KAFKA_RESP_ERR__DESTROY }
        var headers: OpaquePointer? = nil
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                if let value = header.value {
                    value.withUnsafeBytes { _ = rd_kafka_header_add(headers, header.key, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                }
            }
        }
        let waiter = completion.map { Unmanaged.passRetained(DeliveryWaiter($0)) }
        let err = withOptionalBytes(record.value) { value in
            withOptionalBytes(record.key) { key in
                hub_rd_kafka_produce(client.handle, record.topic, record.partition ?? RD_KAFKA_PARTITION_UA,
                                     value.baseAddress, value.count, key.baseAddress, key.count,
                                     record.timestampMilliseconds ?? 0, headers, waiter?.toOpaque())
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            waiter?.release()
            if let headers { rd_kafka_headers_destroy(headers) }
        }
        return err
    }

    /// Waits until every queued record has an outcome or the time is up.
    public func flush(timeoutMilliseconds: Int32 = 30_000) async throws(KafkaError) {
        let client = self.client
        try await BlockingCall.run { () throws(KafkaError) in
            let err = rd_kafka_flush(client.handle, timeoutMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "flush") }
        }
    }

    /// Records queued locally or in flight to the broker.
    public var outstandingCount: Int { Int(rd_kafka_outq_len(client.handle)) }

    /// Flushes, then releases the handle. Records still unsent after the
    /// time-out fail with their own errors; nothing waits forever.
    public func close(flushTimeoutMilliseconds: Int32 = 30_000) async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let client = self.client, pollLoop = self.pollLoop, logger = self.logger
        await BlockingCall.runUnthrowing {
            let err = rd_kafka_flush(client.handle, flushTimeoutMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("records left unsent at close", ["count": String(rd_kafka_outq_len(client.handle))])
            }
            pollLoop.stop()
            client.destroy()
        }
    }

    // MARK: Transactions

    /// Registers the transactional id with the coordinator and fences older
    /// instances with the same id. Call once before the first transaction.
    public func initTransactions(timeoutMilliseconds: Int32 = 30_000) async throws(KafkaError) {
        try requireTransactional("initTransactions")
        let client = self.client
        try await BlockingCall.run { () throws(KafkaError) in
            if let error = rd_kafka_init_transactions(client.handle, timeoutMilliseconds) {
                throw KafkaError(consuming: error, context: "init transactions")
            }
        }
    }

    public func beginTransaction() throws(KafkaError) {
        try requireTransactional("beginTransaction")
        if let error = rd_kafka_begin_transaction(client.handle) {
            throw KafkaError(consuming: error, context: "begin transaction")
        }
    }

    /// Adds a consumer's positions to the open transaction, so they commit
    /// (or not) together with the records produced in it.
    public func sendOffsetsToTransaction(_ offsets: [KafkaTopicPartitionOffset], consumer: KafkaConsumer,
                                         timeoutMilliseconds: Int32 = 30_000) async throws(KafkaError) {
        try requireTransactional("sendOffsetsToTransaction")
        if offsets.isEmpty { return }
        let client = self.client
        let consumerHandle = consumer.client
        try await BlockingCall.run { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList(offsets)
            guard let metadata = rd_kafka_consumer_group_metadata(consumerHandle.handle) else {
                throw KafkaError.closed
            }
            defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
            if let error = rd_kafka_send_offsets_to_transaction(client.handle, list.pointer, metadata, timeoutMilliseconds) {
                throw KafkaError(consuming: error, context: "send offsets to transaction")
            }
        }
    }

    /// Flushes and commits; on an error that `transactionRequiresAbort`, call `abortTransaction`.
    public func commitTransaction(timeoutMilliseconds: Int32 = 60_000) async throws(KafkaError) {
        try requireTransactional("commitTransaction")
        let client = self.client
        try await BlockingCall.run { () throws(KafkaError) in
            if let error = rd_kafka_commit_transaction(client.handle, timeoutMilliseconds) {
                throw KafkaError(consuming: error, context: "commit transaction")
            }
        }
    }

    public func abortTransaction(timeoutMilliseconds: Int32 = 60_000) async throws(KafkaError) {
        try requireTransactional("abortTransaction")
        let client = self.client
        try await BlockingCall.run { () throws(KafkaError) in
            if let error = rd_kafka_abort_transaction(client.handle, timeoutMilliseconds) {
                throw KafkaError(consuming: error, context: "abort transaction")
            }
        }
    }

    private func requireTransactional(_ operation: String) throws(KafkaError) {
        guard isTransactional else { throw KafkaError.notTransactional(operation) }
        if closed.load(ordering: .acquiring) { throw KafkaError.closed }
    }
}

/// Gathers the outcomes of a batch sent with `sendAll`.
private final class DeliveryCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [KafkaDeliveryReport?]
    private var firstError: KafkaError?
    private var remaining: Int
    private let onFinish: @Sendable (Result<[KafkaDeliveryReport], KafkaError>) -> Void

    init(count: Int, onFinish: @escaping @Sendable (Result<[KafkaDeliveryReport], KafkaError>) -> Void) {
        reports = Array(repeating: nil, count: count)
        remaining = count
        self.onFinish = onFinish
    }

    func record(_ index: Int, _ result: Result<KafkaDeliveryReport, KafkaError>) {
        lock.lock()
        switch result {
        case .success(let report): reports[index] = report
        case .failure(let error): if firstError == nil { firstError = error }
        }
        remaining -= 1
        let done = remaining == 0
        lock.unlock()
        guard done else { return }
        if let firstError { onFinish(.failure(firstError)) } else { onFinish(.success(reports.map { $0! })) }
    }
}

/// Passes a possibly absent byte array to C as (pointer, length).
func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard let bytes else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return bytes.withUnsafeBytes(body)
}
