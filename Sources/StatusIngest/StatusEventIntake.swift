import Foundation
import HubLogging
import Topics

/// Turns a raw record from `status.events.<AGENCY>` into a valid event, or a
/// machine-readable reason for the dead-letter topic. Nothing here depends
/// on the catalogue: placing the event is the core's job.
public enum StatusEventIntake {
    public static func read(topic: String, key: String?, value: [UInt8]?, maxBytes: Int) -> Result<StatusEvent, IntakeRejection> {
        guard let agency = HubTopics.statusEvents.agencyCode(in: topic) else {
            return .failure(IntakeRejection(code: "unexpected_topic", path: "$", message: "\(topic) is not a status.events.<AGENCY> topic"))
        }
        guard let value, !value.isEmpty else {
            return .failure(IntakeRejection(code: "empty_value", path: "$", message: "the record has no value"))
        }
        guard value.count <= maxBytes else {
            return .failure(IntakeRejection(code: "too_large", path: "$", message: "\(value.count) bytes, the limit is \(maxBytes)"))
        }
        let event: StatusEvent
        do {
            event = try TopicValueCodec.decode(StatusEvent.self, from: Data(value), version: StatusEvent.schema.version)
        } catch {
            // Decoder messages can quote input values: mask anything that looks like a personal code.
            return .failure(IntakeRejection(code: error.code.rawValue, path: error.path, message: Mask.identifiers(in: error.message)))
        }
        guard event.agency == agency else {
            return .failure(IntakeRejection(code: "agency_mismatch", path: "$.agency",
                                            message: "event claims agency \(event.agency) on \(agency)'s topic"))
        }
        if let key, key != event.kafkaKey {
            return .failure(IntakeRejection(code: "key_mismatch", path: "$",
                                            message: "the record key must be <AGENCY>/<caseId> of the event"))
        }
        return .success(event)
    }
}

/// Why a record cannot be read as a status event; goes with it to the dead-letter topic.
public struct IntakeRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// `invalid_json`, `missing_field`, `wrong_type`, `invalid_value`, `unsupported_version`,
    /// `too_large`, `empty_value`, `agency_mismatch`, `key_mismatch`, `unexpected_topic`.
    public let code: String
    /// JSON path of the offending field (`$` for the record as a whole).
    public let path: String
    /// Describes the problem without quoting the input (it may hold personal data).
    public let message: String

    public var description: String { "\(code) at \(path): \(message)" }
}
