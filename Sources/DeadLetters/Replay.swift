import Foundation
import HubLogging
import Kafka
import Topics

/// What a replay writes for one dead letter: the original record back to
/// its origin (or another topic), with its key, value, headers and so its
/// event id, plus who replayed it, when and from which dead letter; and the
/// dead letter's new state.
public enum Replay {
    public static func record(for letter: DeadLetter, to topic: String? = nil, by operatorName: String, at now: Date) -> KafkaProducerRecord {
        let added = [
            KafkaHeader(key: ReplayHeaderName.by, string: operatorName),
            KafkaHeader(key: ReplayHeaderName.at, string: RFC3339Timestamp.format(now)),
            KafkaHeader(key: ReplayHeaderName.from, string: letter.id),
        ]
        let kept = letter.originalHeaders.filter { !$0.key.hasPrefix("hub.replay.") }
        return KafkaProducerRecord(topic: topic ?? letter.originTopic, partition: nil, key: letter.key, value: letter.value,
                                   headers: kept + added, timestampMilliseconds: nil)
    }

    public static func state(for letter: DeadLetter, previous: DeadLetterState?, to topic: String? = nil,
                             by operatorName: String, at now: Date) -> DeadLetterState {
        DeadLetterState(id: letter.id, resolution: .replayed, at: now, by: operatorName,
                        replayedTo: topic ?? letter.originTopic, replays: (previous?.replays ?? 0) + 1)
    }
}

/// A short, single-line look at a value for tables: personal codes masked,
/// control characters dropped, cut to `width` characters.
public enum ValuePreview {
    public static func of(_ value: [UInt8]?, width: Int = 48) -> String {
        guard let value else { return "(null)" }
        guard let text = String(validating: value, as: UTF8.self) else { return "(\(value.count) bytes, not UTF-8)" }
        let masked = Mask.identifiers(in: text)
        let flat = String(masked.unicodeScalars.map { $0.value < 0x20 ? " " : Character($0) })
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }
}
