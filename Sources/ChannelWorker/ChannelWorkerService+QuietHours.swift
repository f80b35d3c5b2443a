import ChannelDelivery
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Locking
import Topics

/// Quiet hours: notices with a `notBefore` wait on `notify.scheduled` until due.
extension ChannelWorkerService {
    /// Follows `notify.scheduled` for this channel's held notices and, as each falls due, writes it back to
    /// the channel's topic and tombstones it. A crash in between writes it back twice at most; the ledger
    /// then sends it once.
    func release(producer: KafkaProducer, shutdown: ShutdownSignal) async {
        let channel = connector.channel
        let book = PosixMutex(ScheduleBook())
        let table = CompactedTable(topic: HubTopics.notifyScheduled.name, client: client, logger: logger) { key, value in
            guard let id = UUID(uuidString: key) else { return }
            if let value, let notice = try? RecordJSON.decode(Notice.self, from: Data(value)) {
                if notice.channel == channel { book.withLock { $0.hold(notice) } }
            } else {
                book.withLock { $0.forget(id) }
            }
        }
        let stop = ShutdownSignal()
        let following = Task { try await table.follow(until: stop) }
        defer { stop.trigger(); following.cancel() }
        while !shutdown.isTriggered && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            let due = book.withLock { $0.takeDue(at: Date()) }
            metrics.set("hub_channel_scheduled_held", Double(book.withLock { $0.count }), labels: ["channel": channel.rawValue],
                        help: "Notices held for their notBefore.")
            for notice in due {
                do {
                    _ = try await producer.sendAll([
                        KafkaProducerRecord(topic: channel.topic, key: Array(notice.recipientKey.utf8), value: try RecordJSON.bytes(notice)),
                        KafkaProducerRecord(topic: HubTopics.notifyScheduled.name, key: Array(notice.notificationId.lowercasedString.utf8), value: nil),
                    ])
                } catch {
                    logger.warning("a held notice could not be released; trying again", ["error": String(describing: error)])
                    book.withLock { $0.hold(notice) }
                }
            }
        }
    }

    static func scheduledRecord(_ notice: Notice) -> KafkaProducerRecord {
        KafkaProducerRecord(topic: HubTopics.notifyScheduled.name, key: Array(notice.notificationId.lowercasedString.utf8),
                            value: (try? RecordJSON.bytes(notice)) ?? [])
    }
}
