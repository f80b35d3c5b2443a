import ChannelDelivery
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Locking
import Topics

/// A channel worker: reads `notify.<channel>`, sends each notice through its
/// connector and reports every step on `notify.receipts`.
///
/// At most once per notification id: before the gateway call a `sending`
/// receipt is written and acknowledged; the outcome's receipt goes to the
/// broker as soon as the gateway answered, and the notice's offset commits
/// once it is acknowledged (the ledger tells a notice read again that it is
/// done). A worker that died in between finds the `sending`
/// receipt on restart and asks the gateway (by notification id) instead of
/// sending again; a gateway that cannot say is not asked twice: the notice
/// is reported `technical-failure` (`ambiguous_send`) and dead-lettered.
/// Time-outs, 5xx and 429 climb the retry ladder; after the last retry, a
/// `technical-failure` receipt and a dead letter. A technical failure
/// replayed from the dead-letter topic goes out again (the gateway asked
/// first where it can say). A refusal (4xx) is a `permanent-failure`
/// receipt carrying the notice, from which the fan-out falls back to the next
/// channel. Accepted notices are confirmed by asking the gateway until
/// `confirmTimeout`, then reported `temporary-failure` (`unconfirmed`).
/// Sends wait for the gateway's rate limit (a token bucket); after repeated
/// temporary failures the circuit opens and notices go to the retry ladder
/// without calling the gateway until a trial call succeeds. Up to
/// `prepared` notices of different recipients are in hand at once, each with
/// its `sending` receipt written before it waits for the gateway, so a worker
/// killed mid-stream leaves at most `prepared` notices whose send is
/// uncertain (besides outcomes on their way to the broker); one recipient's notices go in order. The `sending` receipts go
/// to the broker in groups of half of `prepared` (or after 2 ms), since the
/// broker's cost is mostly per request. The connector's own
/// connections (`inFlight`) bound the calls with the gateway at once: a
/// connection that finishes takes the next prepared notice straight away. Gateways that report outcomes by
/// calling back (Kannel's delivery reports) deliver them through the
/// `reports` inbox; their `sending` receipt carries the notice, so a failure
/// reported later can still fall back to the next channel.
public final class ChannelWorkerService: HubService {
    public struct Settings: Sendable {
        public var ladder: RetryLadder
        public var confirmEvery: Duration
        public var confirmTimeout: Duration
        /// Sends per second to the gateway (token bucket); nil is unlimited.
        public var ratePerSecond: Double?
        /// Temporary failures in a row that open the circuit, and for how long it stays open.
        public var circuitFailures: Int
        public var circuitOpenSeconds: Double
        /// Notices with the gateway at once (of different recipients): the connector's connections.
        public var inFlight: Int
        /// Notices in hand at once, their `sending` receipts written ahead of a free connection (at least `inFlight`):
        /// the most a crash leaves uncertain.
        public var prepared: Int
        /// How long the ledger remembers a notice's outcome at least, and how much of `notify.receipts` a worker
        /// reads when it starts (`SendLedger`); at least `confirmTimeout`.
        public var ledgerMemory: Duration
        public init(ladder: RetryLadder = .standard, confirmEvery: Duration = .seconds(5), confirmTimeout: Duration = .seconds(3600),
                    ratePerSecond: Double? = nil, circuitFailures: Int = 5, circuitOpenSeconds: Double = 30, inFlight: Int = 8,
                    prepared: Int? = nil, ledgerMemory: Duration = .seconds(7 * 86_400)) {
            self.inFlight = max(1, inFlight)
            self.prepared = max(self.inFlight, prepared ?? self.inFlight * 8)
            self.ladder = ladder
            self.confirmEvery = confirmEvery
            self.confirmTimeout = confirmTimeout
            self.ratePerSecond = ratePerSecond
            self.circuitFailures = circuitFailures
            self.circuitOpenSeconds = circuitOpenSeconds
            self.ledgerMemory = max(ledgerMemory, confirmTimeout)
        }
    }

    /// The gateway's rate limit and circuit, shared by the input and retry stages.
    final class GatewayGuard: Sendable {
        let bucket: PosixMutex<TokenBucket?>
        let breaker: PosixMutex<CircuitBreaker>
        init(_ settings: Settings) {
            bucket = PosixMutex(settings.ratePerSecond.map { TokenBucket(ratePerSecond: $0) })
            breaker = PosixMutex(CircuitBreaker(failureThreshold: settings.circuitFailures, openFor: settings.circuitOpenSeconds))
        }

        /// Waits for the rate limit; throws a retriable failure while the circuit is open.
        func admit(channel: NotifyChannel, metrics: MetricsRegistry) async throws {
            guard breaker.withLock({ $0.allows(at: Date()) }) else {
                metrics.increment("hub_channel_circuit_rejections_total", labels: ["channel": channel.rawValue],
                                  help: "Sends not attempted because the gateway's circuit was open.")
                throw RecordFailure(.retriable, code: "circuit_open", message: "the gateway failed repeatedly; not called for a while", stage: "send")
            }
            let wait = bucket.withLock { $0?.take(at: Date()) ?? 0 }
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        }

        /// The circuit's state as its gauge last showed it: the gauge is written only when that changes.
        private let shown = PosixMutex<CircuitBreaker.State?>(nil)

        func record(_ outcome: GatewayOutcome, channel: NotifyChannel, metrics: MetricsRegistry) {
            let state = breaker.withLock { breaker -> CircuitBreaker.State in
                breaker.record(success: !outcome.isTemporary, at: Date())
                return breaker.state
            }
            guard shown.withLock({ shown in defer { shown = state }; return shown != state }) else { return }
            metrics.set("hub_channel_circuit_open", state == .closed ? 0 : 1, labels: ["channel": channel.rawValue],
                        help: "1 while the gateway's circuit is open or half-open.")
        }
    }

    public let name: String
    let connector: any ChannelConnector
    let client: KafkaClientProperties
    private let instance: String
    private let groupID: String
    let settings: Settings
    let metrics: MetricsRegistry
    private let readiness: Readiness?
    let logger: Logger
    private let hubVersion: String
    private let crashes: CrashJournal.Settings?
    private let reports: DeliveryReportInbox?

    public init(connector: any ChannelConnector, client: KafkaClientProperties, instance: String, groupID: String? = nil, settings: Settings,
                metrics: MetricsRegistry, readiness: Readiness?, logger: Logger, hubVersion: String, crashes: CrashJournal.Settings?,
                reports: DeliveryReportInbox? = nil) {
        self.reports = reports
        name = "channel-\(connector.channel.rawValue)"
        self.connector = connector
        self.client = client
        self.instance = instance
        self.groupID = groupID ?? "hub-\(name)"
        self.settings = settings
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger.named(name)
        self.hubVersion = hubVersion
        self.crashes = crashes
    }

    /// The ledger of sends, shared by the stage and the confirmation loop.
    final class Ledger: Sendable {
        let mutex: PosixMutex<SendLedger>
        init(memory: Duration) { mutex = PosixMutex(SendLedger(memory: memory.inSeconds)) }
        /// Records a receipt; an outcome other than `sending` ends the notice's wait for confirmation.
        func record(_ receipt: NotificationReceipt) {
            mutex.withLock { $0.record(receipt) }
            if receipt.status != .sending, let id = receipt.notificationId { about.withLock { _ = $0.removeValue(forKey: id) } }
        }
        func decision(_ id: UUID, replayed: Bool = false) -> SendDecision { mutex.withLock { $0.decision(for: id, replayed: replayed) } }
        func outstanding(handedBefore date: Date) -> [UUID] { mutex.withLock { $0.outstanding(handedBefore: date) } }
        var outstanding: [UUID] { mutex.withLock { $0.outstanding } }
        var count: Int { mutex.withLock { $0.count } }
        func forget(now: Date) -> Int { mutex.withLock { $0.forget(now: now) } }
        /// What each outstanding notice was about, for its confirmation receipt.
        let about = PosixMutex<[UUID: NotificationReceipt]>([:])
    }

    public func run(shutdown: ShutdownSignal) async throws {
        let channel = connector.channel
        let ledger = Ledger(memory: settings.ledgerMemory)
        // The receipts of the ledger's memory, not of the topic's whole retention (on Tansu, which looks records up by
        // when it appended them and answers 0 when it finds none, possibly more).
        let remembered = Date().addingTimeInterval(-settings.ledgerMemory.inSeconds)
        try await TopicSnapshot.read(topics: [HubTopics.notifyReceipts.name], client: client, logger: logger, since: remembered) { record in
            guard let value = record.value, let receipt = try? RecordJSON.decode(NotificationReceipt.self, from: value),
                  receipt.channel == channel else { return }
            ledger.record(receipt)
            if receipt.status == .sending, let id = receipt.notificationId {
                ledger.about.withLock { about in
                    var latest = receipt
                    latest.notice = receipt.notice ?? about[id]?.notice
                    about[id] = latest
                }
            }
        }
        let outstanding = Set(ledger.outstanding)
        ledger.about.withLock { $0 = $0.filter { outstanding.contains($0.key) } }
        logger.info("ledger loaded", ["outstanding": String(ledger.outstanding.count), "notices": String(ledger.count)])
        // Each `sending` receipt is acknowledged before its gateway call. They go in groups of half the notices in
        // hand (`KafkaGroupedSender`): the broker's cost is mostly per request, and the other half keeps the
        // connections busy meanwhile. A 1 ms linger lets librdkafka send a group as one request per partition.
        var receiptsConfiguration = KafkaProducerConfiguration(client: client)
        receiptsConfiguration.lingerMilliseconds = 1
        let receipts = try KafkaProducer(configuration: receiptsConfiguration, logger: logger)
        let sendings = KafkaGroupedSender(producer: receipts, groupSize: max(1, settings.prepared / 2))
        let routing = FailureRouting(service: name, ladder: settings.ladder, hubVersion: hubVersion)
        let connector = self.connector, metrics = self.metrics
        let gate = GatewayGuard(settings)
        let stage = HandlerStage(
            routing: routing, client: client, instance: instance, groupID: groupID, subscription: .topics([channel.topic]),
            parallelism: settings.prepared, crashes: crashes,
            metrics: metrics, readiness: readiness, logger: logger,
            exhausted: { original, failure in
                guard let notice = Self.notice(in: original) else { return [] }
                let failed = Self.receipt(.technicalFailure, for: notice, reason: failure.code, reference: nil)
                ledger.record(failed.value)
                return [failed.record]
            },
            beforeCommit: { try await sendings.settle() }
        ) { record, _ in
            guard let notice = Self.notice(in: record) else {
                throw RecordFailure(.permanent, code: "invalid_notice", message: "not a notice v1", stage: "read")
            }
            /// Writes the `sending` receipt, waits for the broker's acknowledgement, then calls the gateway.
            func handOver() async throws -> GatewayOutcome {
                try await gate.admit(channel: channel, metrics: metrics)
                var sending = Self.receipt(.sending, for: notice, reason: nil, reference: nil)
                if connector.confirmsByCallback {
                    sending.value.notice = notice
                    sending.record = Self.receiptRecord(sending.value)
                }
                _ = try await sendings.send(sending.record)
                ledger.record(sending.value)
                ledger.about.withLock { $0[notice.notificationId] = sending.value }
                let start = ContinuousClock.now
                let outcome = await connector.send(notice)
                metrics.set("hub_channel_gateway_seconds", (ContinuousClock.now - start).inSeconds, labels: ["channel": channel.rawValue],
                            help: "The latest gateway call's duration (with its wait for a free connection).")
                gate.record(outcome, channel: channel, metrics: metrics)
                return outcome
            }
            let outcome: GatewayOutcome
            switch ledger.decision(notice.notificationId, replayed: record.headers.contains { $0.key == ReplayHeaderName.from }) {
            case .done:
                return []
            case .confirmFirst:
                // The gateway will call back about it (or the confirmation time-out will report it): nothing to decide now.
                if connector.confirmsByCallback && !connector.canConfirm { return [] }
                guard connector.canConfirm else {
                    // Not sent again: a `technical-failure` receipt (`exhausted`) and a dead letter an operator can replay
                    // once they checked what the gateway did with it.
                    metrics.increment("hub_channel_sends_total", labels: ["channel": channel.rawValue, "outcome": "ambiguous"], help: "Sends by outcome.")
                    throw RecordFailure(.permanent, code: "ambiguous_send",
                                        message: "handed to a gateway that cannot say what became of it; not sent again", stage: "send")
                }
                if let known = await connector.status(of: notice.notificationId) {
                    outcome = known
                } else {
                    try await gate.admit(channel: channel, metrics: metrics)
                    outcome = await connector.send(notice)
                    gate.record(outcome, channel: channel, metrics: metrics)
                }
            case .resend:
                // An operator replayed it after a technical failure: what the gateway knows of it counts, else it goes again.
                metrics.increment("hub_channel_replays_total", labels: ["channel": channel.rawValue],
                                  help: "Notices replayed from the dead-letter topic after a technical failure.")
                if connector.canConfirm, let known = await connector.status(of: notice.notificationId) {
                    outcome = known
                } else {
                    outcome = try await handOver()
                }
            case .send:
                // Quiet hours: held on notify.scheduled and released to this topic when due (`release`).
                if let notBefore = notice.notBefore, notBefore > Date().addingTimeInterval(1) {
                    metrics.increment("hub_channel_scheduled_total", labels: ["channel": channel.rawValue], help: "Notices held until their notBefore.")
                    return [Self.scheduledRecord(notice), Self.receipt(.scheduled, for: notice, reason: "quiet_hours", reference: nil).record]
                }
                outcome = try await handOver()
            }
            // The outcome's receipt goes to the broker at once, in the next group, not with the batch's commit (which
            // waits for its acknowledgement): a worker killed mid-stream leaves uncertain only the notices in hand
            // (at most `prepared`) and those whose outcome the broker had not yet acknowledged (a group's worth).
            guard let made = try Self.outcomeReceipt(for: outcome, notice: notice, ledger: ledger, metrics: metrics) else { return [] }
            sendings.post(made.record)
            ledger.record(made.value)
            return []
        }
        let confirming = Task { await self.confirm(ledger: ledger, receipts: receipts, shutdown: shutdown) }
        defer { confirming.cancel() }
        let releasing = Task { await self.release(producer: receipts, shutdown: shutdown) }
        defer { releasing.cancel() }
        let logger = self.logger
        reports?.attach { report in await Self.record(report, ledger: ledger, receipts: receipts, metrics: metrics, logger: logger) }
        defer { reports?.detach() }
        try await stage.run(shutdown: shutdown)
        await receipts.close()
    }

    /// The receipt an outcome makes (nil when a delivery report wrote it already); a temporary one throws, to climb
    /// the retry ladder. The caller writes it, then records it in the ledger.
    static func outcomeReceipt(for outcome: GatewayOutcome, notice: Notice, ledger: Ledger,
                               metrics: MetricsRegistry) throws -> (value: NotificationReceipt, record: KafkaProducerRecord)? {
        let channel = notice.channel.rawValue, labels = ["channel": channel]
        let made: (value: NotificationReceipt, record: KafkaProducerRecord)
        switch outcome {
        case .accepted(let reference):
            metrics.increment("hub_channel_sends_total", labels: ["channel": channel, "outcome": "accepted"], help: "Sends by outcome.")
            // A delivery report may have arrived while the call returned: then the outcome is written already.
            if ledger.decision(notice.notificationId) == .done { return nil }
            ledger.about.withLock { $0[notice.notificationId]?.gatewayReference = reference }
            made = receipt(.sending, for: notice, reason: "accepted", reference: reference)
        case .delivered(let reference, let at):
            metrics.increment("hub_channel_sends_total", labels: ["channel": channel, "outcome": "delivered"], help: "Sends by outcome.")
            made = receipt(.delivered, for: notice, reason: nil, reference: reference, at: at)
        case .permanent(let code, _):
            metrics.increment("hub_channel_sends_total", labels: ["channel": channel, "outcome": "permanent"], help: "Sends by outcome.")
            var failed = receipt(.permanentFailure, for: notice, reason: code, reference: nil)
            failed.value.notice = notice  // so the fan-out can fall back to the next channel
            failed.record = receiptRecord(failed.value)
            made = failed
        case .partlyDelivered(let reference, let at, let invalid):
            metrics.increment("hub_channel_sends_total", labels: ["channel": channel, "outcome": "delivered"], help: "Sends by outcome.")
            metrics.increment("hub_channel_invalid_contacts_total", by: Double(invalid.count), labels: labels,
                              help: "Contacts gateways said are no longer valid (push tokens of removed apps).")
            var partly = receipt(.delivered, for: notice, reason: "some_contacts_invalid", reference: reference, at: at)
            partly.value.invalidContacts = invalid.map(ContactFingerprint.of)
            partly.record = receiptRecord(partly.value)
            made = partly
        case .contactsInvalid(let contacts, _):
            metrics.increment("hub_channel_sends_total", labels: ["channel": channel, "outcome": "permanent"], help: "Sends by outcome.")
            metrics.increment("hub_channel_invalid_contacts_total", by: Double(contacts.count), labels: labels,
                              help: "Contacts gateways said are no longer valid (push tokens of removed apps).")
            var failed = receipt(.permanentFailure, for: notice, reason: "contacts_invalid", reference: nil)
            failed.value.notice = notice
            failed.value.invalidContacts = contacts.map(ContactFingerprint.of)
            failed.record = receiptRecord(failed.value)
            made = failed
        case .temporary(let code, let message):
            metrics.increment("hub_channel_sends_total", labels: ["channel": channel, "outcome": "temporary"], help: "Sends by outcome.")
            throw RecordFailure(.retriable, code: code, message: message, stage: "send")
        }
        return made
    }
}
