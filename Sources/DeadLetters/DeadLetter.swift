import Foundation
import Kafka
import Topics

/// One record in `hub.deadletter` or a quarantine topic, with its failure
/// headers decoded. Its id is where it lies: `<topic>/<partition>/<offset>`.
public struct DeadLetter: Sendable, Hashable {
    public let id: String
    /// The dead-letter (or quarantine) topic it was read from.
    public let topic: String
    /// Where the record was first read, and its timestamp there (ms).
    public let originTopic: String
    public let originPartition: Int32?
    public let originOffset: Int64?
    public let originTimestampMilliseconds: Int64?
    public let service: String
    public let stage: String
    public let errorClass: String
    public let code: String
    public let message: String
    public let path: String?
    public let attempts: Int
    public let firstFailure: Date?
    public let lastFailure: Date?
    public let hubVersion: String?
    public let key: [UInt8]?
    public let value: [UInt8]?
    /// The headers the record had before it failed.
    public let originalHeaders: [KafkaHeader]
    /// When it was written to the dead-letter topic (ms), for `--since`/`--until` and hourly stats.
    public let deadLetteredAtMilliseconds: Int64

    /// Nil for a record that carries no failure headers (written there by hand, say).
    public init?(_ record: KafkaConsumerRecord) {
        var strings = StringPool()
        self.init(record, strings: &strings)
    }

    /// Reads the failure headers in one pass; `strings` shares the storage of
    /// values repeated across dead letters (topics, services, codes, messages).
    public init?(_ record: KafkaConsumerRecord, strings: inout StringPool) {
        var origin: String?, partition: Int32?, offset: Int64?, timestamp: Int64?, service = "unknown", stage = "unknown"
        var errorClass = "unknown", code = "unknown", message = "", path: String?, attempts = 1
        var firstFailure: Date?, lastFailure: Date?, hubVersion: String?
        var original: [KafkaHeader] = []
        for header in record.headers {
            guard FailureHeaderName.isFailureHeader(header.key) else { original.append(header); continue }
            // The failure path writes these headers as ASCII; decoding cannot fail.
            let text = header.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            switch header.key {
            case FailureHeaderName.topic: origin = text
            case FailureHeaderName.partition: partition = Int32(text)
            case FailureHeaderName.offset: offset = Int64(text)
            case FailureHeaderName.timestamp: timestamp = Int64(text)
            case FailureHeaderName.service: service = text
            case FailureHeaderName.stage: stage = text
            case FailureHeaderName.errorClass: errorClass = text
            case FailureHeaderName.code: code = text
            case FailureHeaderName.message: message = text
            case FailureHeaderName.path: path = text
            case FailureHeaderName.attempts: attempts = Int(text) ?? 1
            case FailureHeaderName.firstFailure: firstFailure = RFC3339Timestamp.parse(text)
            case FailureHeaderName.lastFailure: lastFailure = RFC3339Timestamp.parse(text)
            case FailureHeaderName.hubVersion: hubVersion = text
            default: break
            }
        }
        guard let origin else { return nil }
        id = Self.id(topic: record.topic, partition: record.partition, offset: record.offset)
        topic = strings.shared(record.topic)
        originTopic = strings.shared(origin)
        originPartition = partition
        originOffset = offset
        originTimestampMilliseconds = timestamp
        self.service = strings.shared(service)
        self.stage = strings.shared(stage)
        self.errorClass = strings.shared(errorClass)
        self.code = strings.shared(code)
        self.message = strings.shared(message)
        self.path = path.map { strings.shared($0) }
        self.attempts = attempts
        self.firstFailure = firstFailure
        self.lastFailure = lastFailure
        self.hubVersion = hubVersion.map { strings.shared($0) }
        key = record.key
        value = record.value
        originalHeaders = original
        let fallback = lastFailure.map { Int64($0.timeIntervalSince1970 * 1000) } ?? 0
        deadLetteredAtMilliseconds = record.timestampMilliseconds ?? fallback
    }

    public static func id(topic: String, partition: Int32, offset: Int64) -> String { "\(topic)/\(partition)/\(offset)" }

    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
    public var deadLetteredAt: Date { Date(timeIntervalSince1970: Double(deadLetteredAtMilliseconds) / 1000) }
}

/// One copy of each repeated string: dead letters of one origin, service and
/// reason share their topic, code and message instead of holding a copy each.
public struct StringPool: Sendable {
    private var pool: Set<String> = []
    public init() {}
    public mutating func shared(_ string: String) -> String {
        if let existing = pool.firstIndex(of: string) { return pool[existing] }
        pool.insert(string)
        return string
    }
}
