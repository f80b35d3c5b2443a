import Foundation
import Topics

/// How far an operator has dealt with a dead letter, kept on the compacted
/// `hub.deadletter.state` topic under the dead letter's id.
public struct DeadLetterState: Codable, Sendable, Hashable {
    public enum Resolution: String, Codable, Sendable, CaseIterable {
        /// Not dealt with (no state record).
        case open
        /// Sent back; `replayedTo` says where.
        case replayed
        /// Set aside by an operator; hidden from `list` unless asked.
        case purged
    }

    public var id: String
    public var resolution: Resolution
    public var at: Date
    /// Operator identity.
    public var by: String
    public var replayedTo: String?
    /// How many times it was replayed.
    public var replays: Int

    public init(id: String, resolution: Resolution, at: Date, by: String, replayedTo: String? = nil, replays: Int = 0) {
        self.id = id
        self.resolution = resolution
        self.at = at
        self.by = by
        self.replayedTo = replayedTo
        self.replays = replays
    }
}
