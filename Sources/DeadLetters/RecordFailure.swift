/// What went wrong with one record, as a service's handler reports it to the
/// shared failure path (`FailureRouting`).
public struct RecordFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// How the failure path treats the record.
    public enum Class: String, Sendable, Hashable, CaseIterable, Codable {
        /// Worth trying again later: a gateway time-out, a 5xx, a broker hiccup.
        case retriable
        /// Will fail the same way every time: bad input, a schema violation, a 4xx.
        case permanent
        /// The record crashed the service repeatedly.
        case poison
        /// Valid but not placeable yet (unknown catalogue entry): kept aside, replayable.
        case quarantine
    }

    public let errorClass: Class
    /// Machine-readable reason (`missing_field`, `gateway_timeout`, ...).
    public let code: String
    /// Human-readable reason; never quotes personal data.
    public let message: String
    /// The stage of the service that failed (`intake`, `placement`, `send`).
    public let stage: String
    /// JSON path of the offending field, where there is one.
    public let path: String?

    public init(_ errorClass: Class, code: String, message: String, stage: String, path: String? = nil) {
        self.errorClass = errorClass
        self.code = code
        self.message = message
        self.stage = stage
        self.path = path
    }

    /// A record that stopped the service `crashes` times in a row while in hand.
    public static func crashedService(crashes: Int, stage: String) -> RecordFailure {
        RecordFailure(.poison, code: "crashed_service", message: "the service stopped \(crashes) times in a row while handling this record",
                      stage: stage)
    }

    public var description: String { "\(errorClass.rawValue) \(code) in \(stage): \(message)" }
}
