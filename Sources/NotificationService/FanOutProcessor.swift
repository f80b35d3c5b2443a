import DeadLetters
import Foundation
import HubRuntime
import Kafka
import Notifications
import Locking
import Topics

/// The fan-out's state between records: the tables it routes by (profiles,
/// templates, service names) and what it has already made, so a request
/// that arrives again, or is replayed, makes nothing twice. It turns one
/// input record into the records to write, or throws a `RecordFailure`.
final class FanOutProcessor: Sendable {
    private struct State {
        var router: NoticeRouter
        var profiles: [String: ClientProfile] = [:]
        /// Notification ids made, and `u:<request>|<recipient>` for recipients recorded undeliverable, for the memory.
        var made: RecentMemory<String, Void>
    }

    private let state: PosixMutex<State>
    private let metrics: MetricsRegistry
    private let clock: @Sendable () -> Date

    /// `memory`: how long what was made is remembered at least (twice that at most).
    init(settings: NoticeRouter.Settings, metrics: MetricsRegistry, memory: TimeInterval = .infinity, clock: @escaping @Sendable () -> Date = Date.init) {
        state = PosixMutex(State(router: NoticeRouter(templates: TemplateBook(), services: [:], settings: settings),
                            made: RecentMemory(memory: memory, now: clock())))
        self.metrics = metrics
        self.clock = clock
    }

    // MARK: Tables

    func applyProfile(key: String, value: [UInt8]?) {
        let profile = value.flatMap { try? RecordJSON.decode(ClientProfile.self, from: Data($0)) }
        state.withLock { $0.profiles[key] = profile }
    }

    func applyTemplate(key: String, value: [UInt8]?) {
        guard let value else { state.withLock { $0.router.templates.remove(id: key) }; return }
        guard let template = try? RecordJSON.decode(NotificationTemplate.self, from: Data(value)) else { return }
        state.withLock { $0.router.templates.upsert(template) }
    }

    func applyService(key: String, value: [UInt8]?) {
        let definition = value.flatMap { try? JSONDecoder().decode(ServiceDefinition.self, from: Data($0)) }
        state.withLock { $0.router.services[key] = definition }
    }

    /// What earlier runs made, from `notify.receipts`.
    func remember(_ receipt: NotificationReceipt) {
        guard let key = Self.madeKey(receipt) else { return }
        _ = state.withLock { $0.made.insert(key) }
    }

    static let rememberedHelp = "Notices (and undeliverable recipients) the fan-out remembers having made, so a repeated request makes nothing twice."

    var counts: (profiles: Int, templates: Int, made: Int) {
        state.withLock { ($0.profiles.count, $0.router.templates.templates.count, $0.made.count) }
    }

    static func madeKey(_ receipt: NotificationReceipt) -> String? {
        switch receipt.status {
        case .created: receipt.notificationId?.lowercasedString
        case .undeliverable: "u:\(receipt.requestId.lowercasedString)|\(receipt.recipientKey)|\(receipt.notificationId?.lowercasedString ?? "")"
        default: nil
        }
    }

    // MARK: Records

    /// A record of `notify.requests`: its notices and receipts, minus what was made before.
    func handleRequest(_ record: KafkaConsumerRecord) throws -> [KafkaProducerRecord] {
        guard let value = record.value, let request = try? RecordJSON.decode(NotificationRequest.self, from: Data(value)) else {
            throw RecordFailure(.permanent, code: "invalid_request", message: "not a notification request v1", stage: "read")
        }
        guard Self.isClientKey(request.clientKey), request.representativeKey.map(Self.isClientKey) ?? true else {
            throw RecordFailure(.permanent, code: "invalid_client_key",
                                message: "client keys are pseudonyms (c: and 32 hex digits), never person codes", stage: "read", path: "$.clientKey")
        }
        metrics.increment("hub_notify_requests_total", labels: ["class": request.messageClass.rawValue], help: "Notification requests read.")
        let now = clock()
        let fanOut = try routed { router, profiles throws(NoticeRouter.Failure) in try router.route(request, profiles: { profiles[$0] }, now: now) }
        return try keepNew(fanOut)
    }

    /// A record of `notify.receipts`: a channel worker's permanent failure moves the notice to the next channel;
    /// push tokens the gateway said are gone are removed from the client's profile (`ContactCleanup`).
    func handleReceipt(_ record: KafkaConsumerRecord) throws -> [KafkaProducerRecord] {
        if let value = record.value, !Self.contains(Self.permanentFailureMarker, in: value), !Self.contains(Self.invalidContactsMarker, in: value) {
            return []
        }
        guard let value = record.value, let receipt = try? RecordJSON.decode(NotificationReceipt.self, from: value) else {
            throw RecordFailure(.permanent, code: "invalid_receipt", message: "not a notification receipt v1", stage: "read")
        }
        let cleaned = try cleanProfile(after: receipt)
        guard receipt.status == .permanentFailure, let failed = receipt.notice else { return cleaned }
        let now = clock()
        let fanOut = try routed { router, profiles throws(NoticeRouter.Failure) in try router.fallback(from: failed, profile: profiles[failed.recipientKey], now: now) }
        for notice in fanOut.notices {
            metrics.increment("hub_notify_fallbacks_total", labels: ["from": failed.channel.rawValue, "to": notice.channel.rawValue],
                              help: "Notices moved to the next channel after a permanent failure.")
        }
        return try cleaned + keepNew(fanOut)
    }

    /// The client's profile without the push tokens a receipt names as invalid, written to `clients.profiles`
    /// (and to the table at once, so a second receipt about them writes nothing).
    private func cleanProfile(after receipt: NotificationReceipt) throws -> [KafkaProducerRecord] {
        guard receipt.channel == .push, let invalid = receipt.invalidContacts, !invalid.isEmpty else { return [] }
        let now = clock()
        let cleaned = state.withLock { state -> ClientProfile? in
            guard let profile = state.profiles[receipt.recipientKey], let cleaned = ContactCleanup.removing(invalid, from: profile, at: now) else { return nil }
            state.profiles[receipt.recipientKey] = cleaned
            return cleaned
        }
        guard let cleaned else { return [] }
        metrics.increment("hub_notify_contacts_removed_total", labels: ["channel": "push"], help: "Push tokens removed from profiles after the gateway said they are gone.")
        return [KafkaProducerRecord(topic: HubTopics.clientsProfiles.name, key: Array(cleaned.clientKey.utf8), value: try RecordJSON.bytes(cleaned))]
    }

    private func routed(_ body: (NoticeRouter, [String: ClientProfile]) throws(NoticeRouter.Failure) -> NoticeRouter.FanOut) throws -> NoticeRouter.FanOut {
        let (router, profiles) = state.withLock { ($0.router, $0.profiles) }
        do { return try body(router, profiles) } catch {
            metrics.increment("hub_notify_failed_total", labels: ["reason": error.code], help: "Requests dead-lettered: missing template or placeholder.")
            throw RecordFailure(.permanent, code: error.code, message: error.message, stage: "render")
        }
    }

    /// Drops what was made before; the rest becomes records, and is remembered.
    private func keepNew(_ fanOut: NoticeRouter.FanOut) throws -> [KafkaProducerRecord] {
        var records: [KafkaProducerRecord] = []
        let now = clock()
        let fresh: (notices: [Notice], receipts: [NotificationReceipt]) = state.withLock { state in
            if state.made.forget(now: now) > 0 { metrics.set("hub_notify_remembered", Double(state.made.count), help: Self.rememberedHelp) }
            let notices = fanOut.notices.filter { state.made.insert($0.notificationId.lowercasedString) }
            let kept = Set(notices.map(\.notificationId))
            let receipts = fanOut.receipts.filter { receipt in
                switch receipt.status {
                case .created, .fallback: return receipt.fallbackTo.map(kept.contains) ?? receipt.notificationId.map(kept.contains) ?? false
                case .undeliverable: return Self.madeKey(receipt).map { state.made.insert($0) } ?? true
                default: return true
                }
            }
            return (notices, receipts)
        }
        let duplicates = fanOut.notices.count - fresh.notices.count
        if duplicates > 0 { metrics.increment("hub_notify_duplicates_total", by: Double(duplicates), help: "Notices already made, not made again.") }
        for notice in fresh.notices {
            metrics.increment("hub_notify_notices_total", labels: ["channel": notice.channel.rawValue, "class": notice.messageClass.rawValue,
                                                                   "content": notice.carriesContent ? "yes" : "no"],
                              help: "Notices made, per channel and message class.")
            records.append(try Self.record(topic: notice.channel.topic, key: notice.recipientKey, value: notice, id: notice.notificationId,
                                           schema: "notice"))
        }
        for receipt in fresh.receipts {
            if receipt.status == .undeliverable {
                metrics.increment("hub_notify_undeliverable_total", labels: ["reason": receipt.reason ?? "unknown"],
                                  help: "Recipients no notice could be made for, by reason.")
            }
            records.append(try Self.record(topic: HubTopics.notifyReceipts.name, key: receipt.recipientKey, value: receipt,
                                           id: UUID.random(), schema: "notification-receipt"))
        }
        return records
    }

    static func record<Value: Encodable>(topic: String, key: String, value: Value, id: UUID, schema: String) throws -> KafkaProducerRecord {
        KafkaProducerRecord(topic: topic, key: Array(key.utf8), value: try RecordJSON.bytes(value),
                            headers: [KafkaHeader(key: EnvelopeHeaderName.schemaId, string: schema),
                                      KafkaHeader(key: EnvelopeHeaderName.schemaVersion, string: "1"),
                                      KafkaHeader(key: EnvelopeHeaderName.eventId, string: id.lowercasedString),
                                      KafkaHeader(key: EnvelopeHeaderName.source, string: "hub/notify-fanout")])
    }

    static func isClientKey(_ key: String) -> Bool {
        let bytes = key.utf8
        return bytes.count == 34 && bytes.starts(with: "c:".utf8)
            && bytes.dropFirst(2).allSatisfy { (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a") ... UInt8(ascii: "f")).contains($0) }
    }

    /// Receipts other than a permanent failure are skipped unread: the fan-out's own `created` receipts are most of the topic.
    static let permanentFailureMarker = Array(#""permanent-failure""#.utf8)
    static let invalidContactsMarker = Array(#""invalidContacts""#.utf8)

    /// Whether `marker` occurs in `value`: most receipts are neither failures nor about invalid contacts, and are not decoded.
    static func contains(_ marker: [UInt8], in value: [UInt8]) -> Bool {
        guard value.count >= marker.count else { return false }
        return (0 ... value.count - marker.count).contains { start in value[start] == marker[0] && value[start ..< start + marker.count].elementsEqual(marker) }
    }
}
