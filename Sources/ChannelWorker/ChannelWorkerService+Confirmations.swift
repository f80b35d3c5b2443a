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
    /// Asks the gateway about accepted notices until they are delivered or time out.
    func confirm(ledger: Ledger, receipts: KafkaProducer, shutdown: ShutdownSignal) async {
        let asks = connector.canConfirm
        while !shutdown.isTriggered && !Task.isCancelled {
            try? await Task.sleep(for: settings.confirmEvery)
            let timeout = Date().addingTimeInterval(-settings.confirmTimeout.inSeconds)
            metrics.set("hub_channel_awaiting_confirmation", Double(ledger.about.withLock { $0.count }),
                        labels: ["channel": connector.channel.rawValue], help: "Notices the gateway accepted that are not yet confirmed.")
            let late = Set(ledger.outstanding(handedBefore: timeout))
            for id in ledger.outstanding(handedBefore: Date().addingTimeInterval(-1)) {
                guard let about = ledger.about.withLock({ $0[id] }) else { continue }
                var update: NotificationReceipt?
                if asks, case .delivered(let reference, let at)? = await connector.status(of: id) {
                    update = Self.follow(about, .delivered, reason: nil, reference: reference, at: at)
                } else if late.contains(id) {
                    update = Self.follow(about, .temporaryFailure, reason: "unconfirmed", reference: about.gatewayReference, at: Date())
                }
                guard let update else { continue }
                do {
                    _ = try await receipts.send(Self.receiptRecord(update))
                    ledger.record(update)
                } catch {
                    logger.warning("confirmation receipt not written; trying again later", ["error": String(describing: error)])
                }
            }
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
