import Foundation
import Topics

/// What a gateway said to one send, as every connector reports it.
public enum GatewayOutcome: Sendable, Hashable {
    /// Taken; confirmation comes later (`reference` is the gateway's own id).
    case accepted(reference: String)
    /// Delivered already (or confirmed on a later check).
    case delivered(reference: String, at: Date)
    /// Worth trying again: a time-out, a 5xx, a 429, a connection refused.
    case temporary(code: String, message: String)
    /// Will fail the same way: a 4xx, an unknown recipient.
    case permanent(code: String, message: String)
    /// Delivered to some of the notice's contacts; the others are no longer valid (push tokens of removed apps).
    case partlyDelivered(reference: String, at: Date, invalidContacts: [String])
    /// Every contact of the notice is no longer valid: permanent, and the profile should drop them.
    case contactsInvalid(contacts: [String], message: String)

    /// Transient failures go through the retry ladder; permanent ones are receipts (and a fallback), not dead letters.
    public var isTemporary: Bool { if case .temporary = self { true } else { false } }
}

/// A gateway behind one channel: sends a notice, and (where it can) says what became of an earlier send.
public protocol ChannelConnector: Sendable {
    var channel: NotifyChannel { get }
    /// Sends `notice`, passing its notification id to the gateway as the idempotency key where the gateway takes one.
    func send(_ notice: Notice) async -> GatewayOutcome
    /// What the gateway knows of the notice with this id; nil when it has never seen it, or cannot say.
    func status(of notificationId: UUID) async -> GatewayOutcome?
    /// Whether `status(of:)` answers: then a send interrupted by a crash is checked, not repeated.
    var canConfirm: Bool { get }
    /// Whether the gateway reports outcomes later by calling the hub back (`DeliveryReport`, SMS delivery reports).
    var confirmsByCallback: Bool { get }
    /// The most notices `statuses(of:)` asks about in one gateway call: 1 where the gateway answers about one at a time.
    var statusBatchLimit: Int { get }
    /// What the gateway knows of each of these notices (in calls of up to `statusBatchLimit`); those it never
    /// saw, or could not say about (the call failed), are absent.
    func statuses(of notificationIds: [UUID]) async -> [UUID: GatewayOutcome]
}

extension ChannelConnector {
    public var confirmsByCallback: Bool { false }
    public var statusBatchLimit: Int { 1 }
    /// One `status(of:)` per id, for gateways that answer about one notice at a time.
    public func statuses(of notificationIds: [UUID]) async -> [UUID: GatewayOutcome] {
        var known: [UUID: GatewayOutcome] = [:]
        for id in notificationIds {
            if let outcome = await status(of: id) { known[id] = outcome }
        }
        return known
    }
}

/// A gateway's call-back about an earlier send: an SMS delivery report.
public struct DeliveryReport: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// On the handset (or in the mailbox).
        case delivered
        /// Will not be delivered: expired, rejected, unknown subscriber.
        case failed(code: String)
        /// The operator took it; the final word comes later.
        case accepted
        /// Queued along the way: nothing to record.
        case pending
    }

    public var notificationId: UUID
    public var outcome: Outcome
    /// The gateway's (or operator's) own id of the message.
    public var reference: String?
    public var at: Date

    public init(notificationId: UUID, outcome: Outcome, reference: String?, at: Date) {
        self.notificationId = notificationId
        self.outcome = outcome
        self.reference = reference
        self.at = at
    }
}

/// Whether to send a notice, given what `notify.receipts` says about it.
public enum SendDecision: Sendable, Hashable {
    /// Never handed to the gateway.
    case send
    /// A final outcome is recorded: nothing to do.
    case done
    /// Handed to the gateway (a `sending` receipt) with no outcome: the worker died in between. Ask the gateway first.
    case confirmFirst
    /// Ended in `technical-failure` (retries exhausted, or a send nobody could confirm) and replayed by an operator
    /// from the dead-letter topic: ask the gateway where it can say, else hand it over again.
    case resend
}

/// What a channel worker knows of the notices it handled: rebuilt from `notify.receipts` on start.
///
/// Notices handed to the gateway are kept until their outcome. Outcomes are kept for `memory` at least (twice
/// that at most: `RecentMemory`). A notice
/// that comes back within it (a redelivery after a crash, a retry, a repeated request) is not sent twice;
/// the worker reads only that much of `notify.receipts` when it starts, so neither its start nor its memory
/// grows with the topic's retention.
public struct SendLedger: Sendable {
    /// Notices handed to the gateway with no outcome yet, and when.
    private var handedAt: [UUID: Date] = [:]
    /// Outcomes, each remembered for `memory` at least.
    private var outcomes: RecentMemory<UUID, NotificationReceipt.Status>
    /// How long an outcome is remembered at least.
    public var memory: TimeInterval { outcomes.memory }

    public init(memory: TimeInterval = .infinity, now: Date = Date()) {
        outcomes = RecentMemory(memory: memory, now: now)
    }

    private func outcome(of id: UUID) -> NotificationReceipt.Status? { outcomes[id] }

    public mutating func record(_ receipt: NotificationReceipt) {
        guard let id = receipt.notificationId else { return }
        switch receipt.status {
        case .sending:
            guard handedAt[id] == nil else { return }
            switch outcome(of: id) {
            case nil:
                handedAt[id] = receipt.at
            case .technicalFailure? where receipt.reason == nil:
                // The worker's own `sending` after a technical failure: a replayed notice handed over again. Any other
                // `sending` (a gateway's acceptance, a late duplicate) does not reopen an outcome.
                outcomes.remove(id)
                handedAt[id] = receipt.at
            default:
                break
            }
        case .delivered, .permanentFailure, .technicalFailure, .temporaryFailure:
            handedAt[id] = nil
            outcomes.set(id, receipt.status)
        case .created, .undeliverable, .fallback, .scheduled: break
        }
    }

    /// Outstanding notices handed over before `date`.
    public func outstanding(handedBefore date: Date) -> [UUID] { handedAt.filter { $0.value < date }.map(\.key) }

    /// `replayed`: the notice came back from the dead-letter topic (`hub.replay.from`), which reopens a technical failure.
    public func decision(for id: UUID, replayed: Bool = false) -> SendDecision {
        if handedAt[id] != nil { return .confirmFirst }
        switch outcome(of: id) {
        case nil: return .send
        case .technicalFailure? where replayed: return .resend
        default: return .done
        }
    }

    /// Drops the older generation of outcomes once the current one is `memory` old, and starts a new one.
    /// Returns how many outcomes were forgotten.
    public mutating func forget(now: Date) -> Int { outcomes.forget(now: now) }

    /// Notices handed to the gateway and not confirmed yet.
    public var outstanding: [UUID] { Array(handedAt.keys) }
    /// Notices the ledger holds: outstanding ones and remembered outcomes.
    public var count: Int { handedAt.count + outcomes.count }
}
