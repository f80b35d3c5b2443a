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
        let headers = record.headers
        guard let origin = headers.string(FailureHeaderName.topic) else { return nil }
        id = Self.id(topic: record.topic, partition: record.partition, offset: record.offset)
        topic = record.topic
        originTopic = origin
        originPartition = headers.string(FailureHeaderName.partition).flatMap { Int32($0) }
        originOffset = headers.string(FailureHeaderName.offset).flatMap { Int64($0) }
        originTimestampMilliseconds = headers.string(FailureHeaderName.timestamp).flatMap { Int64($0) }
        service = headers.string(FailureHeaderName.service) ?? "unknown"
        stage = headers.string(FailureHeaderName.stage) ?? "unknown"
        errorClass = headers.string(FailureHeaderName.errorClass) ?? "unknown"
        code = headers.string(FailureHeaderName.code) ?? "unknown"
        message = headers.string(FailureHeaderName.message) ?? ""
        path = headers.string(FailureHeaderName.path)
        attempts = headers.string(FailureHeaderName.attempts).flatMap { Int($0) } ?? 1
        firstFailure = headers.string(FailureHeaderName.firstFailure).flatMap(RFC3339Timestamp.parse)
        lastFailure = headers.string(FailureHeaderName.lastFailure).flatMap(RFC3339Timestamp.parse)
        hubVersion = headers.string(FailureHeaderName.hubVersion)
        key = record.key
        value = record.value
        originalHeaders = headers.filter { !FailureHeaderName.isFailureHeader($0.key) }
        let fallback = lastFailure.map { Int64($0.timeIntervalSince1970 * 1000) } ?? 0
        deadLetteredAtMilliseconds = record.timestampMilliseconds ?? fallback
    }

    public static func id(topic: String, partition: Int32, offset: Int64) -> String { "\(topic)/\(partition)/\(offset)" }

    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
    public var deadLetteredAt: Date { Date(timeIntervalSince1970: Double(deadLetteredAtMilliseconds) / 1000) }
}
