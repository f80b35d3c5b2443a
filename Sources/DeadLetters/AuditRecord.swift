import Foundation

/// One operator action on dead letters, written to `hub.audit`.
public struct AuditRecord: Codable, Sendable, Hashable {
    /// `dlq.replay.started`, `dlq.replay`, `dlq.purge`.
    public var action: String
    public var operatorName: String
    public var filters: [String: String]
    /// `matched`, `replayed`, `purged`, `skipped`...
    public var counts: [String: Int]
    public var dryRun: Bool
    public var target: String?
    public var at: Date
    /// Same id on the start and the end of one action.
    public var actionId: String

    public init(action: String, operatorName: String, filters: [String: String], counts: [String: Int], dryRun: Bool,
                target: String?, at: Date, actionId: String) {
        self.action = action
        self.operatorName = operatorName
        self.filters = filters
        self.counts = counts
        self.dryRun = dryRun
        self.target = target
        self.at = at
        self.actionId = actionId
    }
}
