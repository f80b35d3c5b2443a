import Foundation
import Topics

/// The notices a channel worker holds until their `notBefore` (quiet hours),
/// as read from `notify.scheduled`: which are due, in the order they fall due.
public struct ScheduleBook: Sendable {
    private var held: [UUID: Notice] = [:]

    public init() {}

    public mutating func hold(_ notice: Notice) { held[notice.notificationId] = notice }
    public mutating func forget(_ id: UUID) { held[id] = nil }

    /// Takes out the notices due at `now`, earliest first.
    public mutating func takeDue(at now: Date) -> [Notice] {
        let due = held.values.filter { ($0.notBefore ?? .distantPast) <= now }.sorted { ($0.notBefore ?? .distantPast) < ($1.notBefore ?? .distantPast) }
        for notice in due { held[notice.notificationId] = nil }
        return due
    }

    public var count: Int { held.count }
    /// When the next held notice falls due.
    public var next: Date? { held.values.compactMap(\.notBefore).min() }
}
