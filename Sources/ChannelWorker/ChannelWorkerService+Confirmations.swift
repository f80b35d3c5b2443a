import ChannelDelivery
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Locking
import Topics

/// What happens after a gateway accepted a notice: asking it until it is delivered or times out, and
/// turning its call-backs (Kannel's delivery reports) into receipts.
extension ChannelWorkerService {
    /// Asks the gateway about accepted notices until they are delivered or time out. Each round asks
    /// about every notice handed over more than a second ago, in groups of the connector's
    /// `statusBatchLimit` (the e-address API answers about 100 in one call), several groups at once:
    /// up to `prepared` where the gateway answers one notice per call, else half the connector's
    /// connections, so sends keep the rest. The connector's connections (`inFlight`, shared with
    /// sends) bound the calls the gateway sees. Asked one by one, with each receipt's acknowledgement
    /// awaited in turn, a round over 10,000 accepted notices took 9.2 s (`hub bench channels`,
    /// e-address); side by side, 1.8 s. In groups of 100, each group's receipts written together, a round over
    /// 20,000 takes 0.46-0.59 s (`hub_channel_confirmation_round_seconds`).
    func confirm(ledger: Ledger, receipts: KafkaProducer, shutdown: ShutdownSignal) async {
        let channel = connector.channel.rawValue
        let batch = max(1, connector.statusBatchLimit)
        let parallel = batch == 1 ? settings.prepared : max(1, settings.inFlight / 2)
        while !shutdown.isTriggered && !Task.isCancelled {
            try? await Task.sleep(for: settings.confirmEvery)
            let forgotten = ledger.forget(now: Date())
            if forgotten > 0 { logger.info("ledger forgot old outcomes", ["notices": String(forgotten)]) }
            metrics.set("hub_channel_ledger_notices", Double(ledger.count), labels: ["channel": channel],
                        help: "Notices the worker's ledger holds: outstanding ones and outcomes remembered (channel.ledger.days).")
            let timeout = Date().addingTimeInterval(-settings.confirmTimeout.inSeconds)
            metrics.set("hub_channel_awaiting_confirmation", Double(ledger.about.withLock { $0.count }),
                        labels: ["channel": channel], help: "Notices the gateway accepted that are not yet confirmed.")
            let late = Set(ledger.outstanding(handedBefore: timeout))
            // A gateway that cannot be asked (its reports come by call-back) only has its late notices reported.
            let due = connector.canConfirm ? ledger.outstanding(handedBefore: Date().addingTimeInterval(-1)) : Array(late)
            let groups = stride(from: 0, to: due.count, by: batch).map { Array(due[$0 ..< min(due.count, $0 + batch)]) }
            let roundStart = ContinuousClock.now
            defer {
                if !due.isEmpty {
                    metrics.set("hub_channel_confirmation_round_seconds", (ContinuousClock.now - roundStart).inSeconds, labels: ["channel": channel],
                                help: "How long the latest round of confirmation checks took.")
                    metrics.set("hub_channel_confirmation_round_notices", Double(due.count), labels: ["channel": channel],
                                help: "Notices the latest round of confirmation checks looked at.")
                }
            }
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                func start() {
                    let ids = groups[next]
                    next += 1
                    group.addTask { await self.confirm(ids, late: late, ledger: ledger, receipts: receipts) }
                }
                while next < min(parallel, groups.count) { start() }
                while await group.next() != nil {
                    if next < groups.count && !shutdown.isTriggered { start() }
                }
            }
        }
    }

    /// A group's confirmation: `delivered` for those the gateway says are, `temporary-failure` for the
    /// late among the rest; their receipts are written together.
    private func confirm(_ ids: [UUID], late: Set<UUID>, ledger: Ledger, receipts: KafkaProducer) async {
        // Still outstanding (a report or an earlier round may have settled some), with what each was about.
        let outstanding = ledger.about.withLock { about in ids.compactMap { id in about[id].map { (id: id, about: $0) } } }
        let known = connector.canConfirm && !outstanding.isEmpty ? await connector.statuses(of: outstanding.map(\.id)) : [:]
        var updates: [NotificationReceipt] = []
        for (id, about) in outstanding {
            if case .delivered(let reference, let at)? = known[id] {
                updates.append(Self.follow(about, .delivered, reason: nil, reference: reference, at: at))
            } else if late.contains(id) {
                updates.append(Self.follow(about, .temporaryFailure, reason: "unconfirmed", reference: about.gatewayReference, at: Date()))
            }
        }
        guard !updates.isEmpty else { return }
        do {
            _ = try await receipts.sendAll(updates.map(Self.receiptRecord))
        } catch {
            logger.warning("confirmation receipts not written; trying again later", ["error": String(describing: error)])
            return
        }
        for update in updates {
            ledger.record(update)
            metrics.increment("hub_channel_confirmations_total", labels: ["channel": connector.channel.rawValue, "outcome": update.status == .delivered ? "delivered" : "unconfirmed"],
                              help: "Accepted notices settled by the confirmation loop: delivered, or reported unconfirmed after the time-out.")
        }
    }

    /// Turns a gateway's call-back into a receipt; the notice stays outstanding until a final outcome.
    static func record(_ report: DeliveryReport, ledger: Ledger, receipts: KafkaProducer, metrics: MetricsRegistry,
                       logger: Logger) async -> DeliveryReportInbox.Answer {
        let id = report.notificationId
        guard let about = ledger.about.withLock({ $0[id] }) else {
            metrics.increment("hub_channel_reports_total", labels: ["outcome": "unknown"], help: "Delivery reports received, by what they said.")
            return ledger.decision(id) == .done ? .recorded : .unknown
        }
        let reference = report.reference ?? about.gatewayReference
        let at = max(report.at, about.at)
        var update: NotificationReceipt
        let label: String
        switch report.outcome {
        case .pending:
            return .recorded
        case .accepted:
            update = follow(about, .sending, reason: "gateway_accepted", reference: reference, at: at)
            label = "accepted"
        case .delivered:
            update = follow(about, .delivered, reason: nil, reference: reference, at: at)
            label = "delivered"
        case .failed(let code):
            update = follow(about, .permanentFailure, reason: code, reference: reference, at: at)
            update.notice = about.notice  // so the fan-out can fall back to the next channel
            label = "failed"
        }
        do {
            _ = try await receipts.send(receiptRecord(update))
        } catch {
            logger.warning("delivery report not recorded; the gateway will call again", ["error": String(describing: error)])
            return .notReady
        }
        metrics.increment("hub_channel_reports_total", labels: ["outcome": label], help: "Delivery reports received, by what they said.")
        ledger.record(update)
        if update.status == .sending { ledger.about.withLock { $0[id]?.gatewayReference = reference } }
        return .recorded
    }
}
