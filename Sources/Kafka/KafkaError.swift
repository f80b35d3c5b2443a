import CRdKafka

/// An error from librdkafka or from this layer. It keeps librdkafka's code
/// and name so operators can look them up, and says whether retrying the
/// same operation may succeed.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value; `nil` for this layer's own errors.
    public let code: Int32?
    /// librdkafka's symbolic name (`_MSG_TIMED_OUT`, `NOT_LEADER_FOR_PARTITION`) or ours.
    public let name: String
    public let message: String
    /// Retrying the same call may succeed (time-outs, leader moves, a full queue).
    public let isRetriable: Bool
    /// The client handle is unusable and must be recreated.
    public let isFatal: Bool
    /// The open transaction must be aborted before anything else.
    public let transactionRequiresAbort: Bool

    public init(code: Int32?, name: String, message: String, isRetriable: Bool = false,
                isFatal: Bool = false, transactionRequiresAbort: Bool = false) {
        self.code = code
        self.name = name
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.transactionRequiresAbort = transactionRequiresAbort
    }

    public var description: String {
        if let code { return "\(name) (\(code)): \(message)" }
        return "\(name): \(message)"
    }

    /// Wraps a plain response code, classifying retriability by code.
    init(_ err: rd_kafka_resp_err_t, context: String? = nil) {
        let text = String(cString: rd_kafka_err2str(err))
        self.init(code: err.rawValue, name: String(cString: rd_kafka_err2name(err)),
                  message: context.map { "\($0): \(text)" } ?? text,
                  isRetriable: KafkaError.retriableCodes.contains(err.rawValue),
                  isFatal: err == RD_KAFKA_RESP_ERR__FATAL)
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        let err = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        self.init(code: err.rawValue, name: String(cString: rd_kafka_error_name(error)),
                  message: context.map { "\($0): \(text)" } ?? text,
                  isRetriable: rd_kafka_error_is_retriable(error) != 0 || KafkaError.retriableCodes.contains(err.rawValue),
                  isFatal: rd_kafka_error_is_fatal(error) != 0,
                  transactionRequiresAbort: rd_kafka_error_txn_requires_abort(error) != 0)
        rd_kafka_error_destroy(error)
    }

    /// Codes Kafka documents as transient, plus librdkafka's local ones that are.
    static let retriableCodes: Set<Int32> = Set([
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__WAIT_COORD,
        RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__RETRY, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
        RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED,
    ].map(\.rawValue))

    // This layer's own errors.
    static func configuration(_ message: String) -> KafkaError {
        KafkaError(code: nil, name: "CONFIGURATION", message: message)
    }

    static let closed = KafkaError(code: nil, name: "CLOSED", message: "the client has been closed")

    static func notTransactional(_ operation: String) -> KafkaError {
        KafkaError(code: nil, name: "NOT_TRANSACTIONAL",
                   message: "\(operation) needs a producer configured with a transactional id")
    }

    /// The loaded librdkafka is older than the hub supports.
    static func unsupportedLibrary(_ message: String) -> KafkaError {
        KafkaError(code: nil, name: "LIBRDKAFKA_TOO_OLD", message: message, isFatal: true)
    }
}
