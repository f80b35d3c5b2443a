import CRdKafka
import Foundation
import HubLogging
import Locking

/// Owns one `rd_kafka_t`. It is the only type that creates or destroys a
/// handle, and destroys it exactly once. Callbacks reach Swift through a
/// retained `RDKafkaCallbacks` box set as the handle's opaque.
final class RDKafkaClient: @unchecked Sendable {
    enum Role { case producer, consumer }

    /// Immutable after init; librdkafka handles are thread-safe for the
    /// calls made through it.
    let handle: OpaquePointer
    let callbacks: RDKafkaCallbacks
    /// Guards destruction against calls from other threads (metrics reading
    /// lag while the service shuts down): they run either before or not at all.
    private let destroyed = PosixMutex<Bool>(false)

    init(role: Role, properties: [String: String], callbacks: RDKafkaCallbacks) throws(KafkaError) {
        try KafkaLibrary.requireSupportedVersion()
        let conf = try RDKafkaConfig.make(properties)
        let box = Unmanaged.passRetained(callbacks)
        rd_kafka_conf_set_opaque(conf, box.toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let callbacks = Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
            callbacks.log(level: level, facility: facility.map { String(cString: $0) } ?? "",
                          message: message.map { String(cString: $0) } ?? "")
        }
        if role == .producer {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message else { return }
                RDKafkaCallbacks.deliver(message)
            }
        }
        if callbacks.rebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let opaque else { return }
                let callbacks = Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                callbacks.rebalance?(rk, err, partitions)
            }
        }
        var errorText = [CChar](repeating: 0, count: 512)
        // rd_kafka_new takes the conf on success only.
        guard let handle = rd_kafka_new(role == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                                        conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            box.release()
            let reason = String(errorBuffer: errorText)
            throw KafkaError.configuration(reason)
        }
        self.handle = handle
        self.callbacks = callbacks
    }

    /// Destroys the handle; later calls are no-ops. Blocks until librdkafka's
    /// threads are gone, so call it through `BlockingCall`.
    func destroy() {
        destroyed.withLock { destroyed in
            guard !destroyed else { return }
            destroyed = true
            let opaque = rd_kafka_opaque(handle)
            rd_kafka_destroy(handle)
            if let opaque { Unmanaged<RDKafkaCallbacks>.fromOpaque(opaque).release() }
        }
    }

    var isDestroyed: Bool { destroyed.withLock { $0 } }

    /// Runs `body` with the handle unless it has been destroyed; quick calls only.
    func withLiveHandle<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        try destroyed.withLock { (destroyed: inout Bool) throws(KafkaError) -> T in
            guard !destroyed else { throw KafkaError.closed }
            return try body(handle)
        }
    }

    deinit { destroy() }

    /// librdkafka's fatal error, when the handle has raised one.
    func fatalError() -> KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(handle, &text, text.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let reason = String(errorBuffer: text)
        return KafkaError(code: err.rawValue, name: String(cString: rd_kafka_err2name(err)), message: reason, isFatal: true)
    }
}

/// The Swift side of librdkafka's callbacks for one handle.
final class RDKafkaCallbacks: @unchecked Sendable {
    typealias RebalanceHandler = (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void

    let logger: Logger
    /// Set once before the handle exists; called on the polling thread.
    let rebalance: RebalanceHandler?

    init(logger: Logger, rebalance: RebalanceHandler? = nil) {
        self.logger = logger
        self.rebalance = rebalance
    }

    /// syslog levels (0 emergency ... 7 debug) mapped onto the hub's levels.
    func log(level: Int32, facility: String, message: String) {
        let mapped: LogLevel = switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
        logger.log(mapped, message, ["facility": facility, "source": "librdkafka"])
    }

    /// Completes the waiter that `KafkaProducer` attached as the message opaque.
    static func deliver(_ message: UnsafePointer<rd_kafka_message_t>) {
        guard let opaque = message.pointee._private else { return }
        let waiter = Unmanaged<DeliveryWaiter>.fromOpaque(opaque).takeRetainedValue()
        if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            waiter.complete(.failure(KafkaError(message.pointee.err, context: "delivery")))
            return
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        let topic = String(cString: rd_kafka_topic_name(message.pointee.rkt))
        waiter.complete(.success(KafkaDeliveryReport(
            topic: topic, partition: message.pointee.partition, offset: message.pointee.offset,
            timestampMilliseconds: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)))
    }
}

/// Carries one record's completion from librdkafka's callback to its sender.
final class DeliveryWaiter: Sendable {
    let complete: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    init(_ complete: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        self.complete = complete
    }
}
