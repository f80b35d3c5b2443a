import Foundation
import Kafka
import Topics

/// The shared failure path: where a record that failed goes, with which
/// headers. Retriable failures climb the service's `RetryLadder`; the last
/// attempt, and any permanent or poison failure, goes to `hub.deadletter`;
/// quarantine goes to the service's quarantine topic. The original key,
/// value and headers travel untouched; `hub.errors.*` headers say what
/// happened, and survive the hops, so the first failure time and the
/// original coordinates stay those of the first failure.
public struct FailureRouting: Sendable {
    public let service: String
    public let ladder: RetryLadder
    public let hubVersion: String
    /// Where quarantined records go (`status.quarantine` for status ingestion).
    public let quarantineTopic: String

    public init(service: String, ladder: RetryLadder, hubVersion: String, quarantineTopic: String = HubTopics.hubDeadLetter.name) {
        self.service = service
        self.ladder = ladder
        self.hubVersion = hubVersion
        self.quarantineTopic = quarantineTopic
    }

    /// The record to write for `record`, which failed with `failure` at `now`.
    public func route(_ record: KafkaConsumerRecord, failure: RecordFailure, now: Date = Date()) -> KafkaProducerRecord {
        let previous = record.headers
        let fromFailurePath = previous.string(FailureHeaderName.topic) != nil
        let attempts = (fromFailurePath ? Int(previous.string(FailureHeaderName.attempts) ?? "") ?? 0 : 0) + 1
        let nowText = RFC3339Timestamp.format(now)
        let topic: String
        var added: [(String, String)] = []
        switch failure.errorClass {
        case .retriable:
            if let base = ladder.delay(afterAttempt: attempts), let delay = ladder.jitteredDelay(afterAttempt: attempts) {
                topic = RetryLadder.topic(forDelay: base)
                // Rounded up: a retry never runs before its delay has passed.
                added.append((FailureHeaderName.retryDue, String(Int64(((now.timeIntervalSince1970 + delay) * 1000).rounded(.up)))))
            } else {
                topic = HubTopics.hubDeadLetter.name
            }
        case .permanent, .poison:
            topic = HubTopics.hubDeadLetter.name
        case .quarantine:
            topic = quarantineTopic
        }
        // The original coordinates are those of the first failure; a record from a retry topic carries them.
        func original(_ name: String, _ fallback: String) -> String { fromFailurePath ? previous.string(name) ?? fallback : fallback }
        added = [
            (FailureHeaderName.topic, original(FailureHeaderName.topic, record.topic)),
            (FailureHeaderName.partition, original(FailureHeaderName.partition, String(record.partition))),
            (FailureHeaderName.offset, original(FailureHeaderName.offset, String(record.offset))),
            (FailureHeaderName.timestamp, original(FailureHeaderName.timestamp, record.timestampMilliseconds.map(String.init) ?? "")),
            (FailureHeaderName.service, service), (FailureHeaderName.stage, failure.stage),
            (FailureHeaderName.errorClass, failure.errorClass.rawValue), (FailureHeaderName.code, failure.code),
            (FailureHeaderName.message, failure.message), (FailureHeaderName.path, failure.path ?? "$"),
            (FailureHeaderName.attempts, String(attempts)),
            (FailureHeaderName.firstFailure, original(FailureHeaderName.firstFailure, nowText)),
            (FailureHeaderName.lastFailure, nowText), (FailureHeaderName.hubVersion, hubVersion),
        ] + added
        let kept = previous.filter { !FailureHeaderName.isFailureHeader($0.key) }
        return KafkaProducerRecord(topic: topic, partition: nil, key: record.key, value: record.value,
                                   headers: kept + added.map { KafkaHeader(key: $0.0, string: $0.1) },
                                   timestampMilliseconds: record.timestampMilliseconds)
    }
}
