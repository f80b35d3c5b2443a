/// Lifecycle state of a case, shared by all agencies so clients see one vocabulary.
public enum CaseStatus: String, Codable, Sendable, Hashable, CaseIterable {
    /// The client submitted the application.
    case submitted
    /// The agency registered the application for processing.
    case accepted
    /// The agency is working on the case.
    case inProgress = "in_progress"
    /// The agency needs something from the client.
    case waitingForClient = "waiting_for_client"
    /// A decision was made in the client's favour or the service was delivered.
    case completed
    /// The agency refused the application.
    case refused
    /// The client withdrew the application.
    case withdrawn
}

extension CaseStatus {
    /// `completed`, `refused` or `withdrawn`: the case is over (until a reopening, where the catalogue allows one).
    public var isClosed: Bool { self == .completed || self == .refused || self == .withdrawn }
}
