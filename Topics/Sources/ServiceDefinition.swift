import Foundation

/// A public service as the VIRSIS catalogue describes it: who owns it, its
/// client-visible steps with expected durations, its expected and legal
/// maximum total durations, and which transitions notify the client. Kept
/// on the compacted `catalogue.services` topic, keyed by `serviceId`.
public struct ServiceDefinition: Codable, Sendable, Hashable {
    /// VIRSIS catalogue id, e.g. "VID-EDS-IIN".
    public var serviceId: String
    /// The agency that may publish events for this service.
    public var ownerAgency: String
    public var names: LocalizedText
    public var steps: [ServiceStep]
    /// Expected time from submission to a decision, in days.
    public var expectedDays: Double?
    /// The legal maximum from submission to a decision, in days (e.g. 30 under the Administrative Procedure Law).
    public var legalMaximumDays: Double?
    /// Whether a closed case may start a new `in_progress` iteration (appeal, re-examination).
    public var allowsReopening: Bool
    /// Transitions that tell the client, and in which message class.
    public var notifications: [TransitionNotice]

    public init(serviceId: String, ownerAgency: String, names: LocalizedText, steps: [ServiceStep] = [],
                expectedDays: Double? = nil, legalMaximumDays: Double? = nil, allowsReopening: Bool = false,
                notifications: [TransitionNotice] = []) {
        self.serviceId = serviceId
        self.ownerAgency = ownerAgency
        self.names = names
        self.steps = steps
        self.expectedDays = expectedDays
        self.legalMaximumDays = legalMaximumDays
        self.allowsReopening = allowsReopening
        self.notifications = notifications
    }

    public func step(_ code: String) -> ServiceStep? { steps.first { $0.code == code } }

    /// The notice a transition into `status` causes, if the catalogue asks for one.
    public func notice(for status: CaseStatus) -> TransitionNotice? { notifications.first { $0.status == status } }
}

/// A client-visible step of a service.
public struct ServiceStep: Codable, Sendable, Hashable {
    public var code: String
    public var names: LocalizedText
    public var expectedDays: Double?

    public init(code: String, names: LocalizedText, expectedDays: Double? = nil) {
        self.code = code
        self.names = names
        self.expectedDays = expectedDays
    }
}

/// Text in the state languages the hub serves; Latvian is required.
public struct LocalizedText: Codable, Sendable, Hashable {
    public var lv: String
    public var en: String?

    public init(lv: String, en: String? = nil) {
        self.lv = lv
        self.en = en
    }
}

/// "Entering this status notifies the client with this class of message."
public struct TransitionNotice: Codable, Sendable, Hashable {
    public var status: CaseStatus
    public var messageClass: MessageClass

    public init(status: CaseStatus, messageClass: MessageClass) {
        self.status = status
        self.messageClass = messageClass
    }
}

/// Official messages (decisions, results) have legal weight and go to the
/// e-address; informational ones (status changes, reminders) are notices.
public enum MessageClass: String, Codable, Sendable, Hashable, CaseIterable {
    case official
    case informational
}
