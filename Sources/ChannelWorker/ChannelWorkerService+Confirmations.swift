import ChannelDelivery
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Synchronization
import Topics

/// What happens after a gateway accepted a notice: asking it until it is delivered or times out, and
/// turning its call-backs (Kannel's delivery reports) into receipts.
extension ChannelWorkerService {
    /// Asks the gateway about accepted notices until they are delivered or time out. Each round asks
    /// about every notice handed over more than a second ago, up to `prepared` at once; the
    /// connector's own connections (`inFlight`, shared with sends) bound the calls the gateway sees.
    /// Asked one by one, with each receipt's acknowledgement awaited in turn, a round over 10,000
    /// accepted notices took 9.2 s (`hub bench channels`, e-address); side by side, 1.8 s.
    func confirm(ledger: Ledger, receipts: KafkaProducer, shutdown: ShutdownSignal) async {
        let channel = connector.channel.rawValue
        while !shutdown.isTriggered && !Task.isCancelled {
            try? await Task.sleep(for: settings.confirmEvery)
            let timeout = Date().addingTimeInterval(-settings.confirmTimeout.inSeconds)
            metrics.set("hub_channel_awaiting_confirmation", Double(ledger.about.withLock { $0.count }),
                        labels: ["channel": channel], help: "Notices the gateway accepted that are not yet confirmed.")
            let late = Set(ledger.outstanding(handedBefore: timeout))
            // A gateway that cannot be asked (its reports come by call-back) only has its late notices reported.
            let due = connector.canConfirm ? ledger.outstanding(handedBefore: Date().addingTimeInterval(-1)) : Array(late)
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                func start() {
                    let id = due[next]
                    next += 1
                    group.addTask { await self.confirm(id, late: late.contains(id), ledger: ledger, receipts: receipts) }
                }
                while next < min(settings.prepared, due.count) { start() }
                while await group.next() != nil {
                    if next < due.count && !shutdown.isTriggered { start() }
                }
            }
        }
    }

    /// One notice's confirmation: `delivered` when the gateway says so, `temporary-failure` once it is late.
    private func confirm(_ id: UUID, late: Bool, ledger: Ledger, receipts: KafkaProducer) async {
        guard let about = ledger.about.withLock({ $0[id] }) else { return }
        let update: NotificationReceipt
        if connector.canConfirm, case .delivered(let reference, let at)? = await connector.status(of: id) {
            update = Self.follow(about, .delivered, reason: nil, reference: reference, at: at)
        } else if late {
            update = Self.follow(about, .temporaryFailure, reason: "unconfirmed", reference: about.gatewayReference, at: Date())
        } else {
            return
        }
        do {
            _ = try await receipts.send(Self.receiptRecord(update))
            ledger.record(update)
            metrics.increment("hub_channel_confirmations_total", labels: ["channel": connector.channel.rawValue, "outcome": update.status == .delivered ? "delivered" : "unconfirmed"],
                              help: "Accepted notices settled by the confirmation loop: delivered, or reported unconfirmed after the time-out.")
        } catch {
            logger.warning("confirmation receipt not written; trying again later", ["error": String(describing: error)])
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
