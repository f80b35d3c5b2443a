import Topics

/// The allowed order of a case's statuses. A case may first appear in any
/// status (agencies join with cases already open); after that it moves
/// forward, may alternate between working and waiting for the client, and
/// ends in completed, refused or withdrawn. A closed case reopens only into
/// a new `in_progress` iteration, and only where the catalogue allows it.
public enum CaseLifecycle {
    public enum Verdict: Sendable, Hashable {
        case allowed
        /// Allowed, and it starts a new iteration of a closed case.
        case reopens
        case illegal(reason: String)
    }

    public static func check(from current: CaseStatus?, to next: CaseStatus, allowsReopening: Bool) -> Verdict {
        guard let current else { return .allowed }
        if current.isClosed {
            if next == .inProgress && allowsReopening { return .reopens }
            let why = next == .inProgress ? "the service does not allow reopening" : "only a new in_progress iteration may follow"
            return .illegal(reason: "\(current.rawValue) -> \(next.rawValue): the case is closed; \(why)")
        }
        if allowedNext[current]!.contains(next) { return .allowed }
        return .illegal(reason: "\(current.rawValue) -> \(next.rawValue) is not a step forward")
    }

    /// Open statuses and where each may go. A repeat of the same open status is
    /// allowed: it carries a new step or note.
    static let allowedNext: [CaseStatus: Set<CaseStatus>] = [
        .submitted: [.submitted, .accepted, .inProgress, .waitingForClient, .completed, .refused, .withdrawn],
        .accepted: [.accepted, .inProgress, .waitingForClient, .completed, .refused, .withdrawn],
        .inProgress: [.inProgress, .waitingForClient, .completed, .refused, .withdrawn],
        .waitingForClient: [.waitingForClient, .inProgress, .completed, .refused, .withdrawn],
    ]
}
