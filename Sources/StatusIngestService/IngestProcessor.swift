import DeadLetters
import Foundation
import HubRuntime
import Kafka
import StatusIngest
import Topics

/// Turns one input record into the records it causes, through the pure
/// core: history and current state for a placed event, quarantine for one
/// that cannot be placed, a dead letter for one that cannot be read.
final class IngestProcessor: @unchecked Sendable {
    static let service = "status-ingest"
    private let lock = NSLock()
    private var core: StatusIngestCore
    private let maxEventBytes: Int
    private let metrics: MetricsRegistry
    private let failures: FailureRouting
    private let pseudonymSecret: String

    init(core: StatusIngestCore, maxEventBytes: Int, metrics: MetricsRegistry, hubVersion: String, pseudonymSecret: String) {
        self.pseudonymSecret = pseudonymSecret
        self.core = core
        self.maxEventBytes = maxEventBytes
        self.metrics = metrics
        // Nothing in ingestion is retriable: a record fails the same way every time.
        self.failures = FailureRouting(service: Self.service, ladder: .none, hubVersion: hubVersion,
                                       quarantineTopic: HubTopics.statusQuarantine.name)
    }

    func upsertService(_ definition: ServiceDefinition) {
        lock.lock()
        core.catalogue.upsert(definition)
        lock.unlock()
    }

    func restore(_ states: [CaseState]) throws {
        try lock.withLock { for state in states { try core.restore(state) } }
    }

    /// Cases held in memory in full, and closed cases kept in the archive.
    var caseCounts: (open: Int, closed: Int) { lock.lock(); defer { lock.unlock() }; return (core.openCases.count, core.closedCount) }

    func process(_ record: KafkaConsumerRecord) throws -> [KafkaProducerRecord] {
        let agencyLabel = HubTopics.statusEvents.agencyCode(in: record.topic) ?? "unknown"
        metrics.increment("hub_status_events_in_total", labels: ["agency": agencyLabel], help: "Records read from status.events.<AGENCY>.")
        let event: StatusEvent
        switch StatusEventIntake.read(topic: record.topic, key: record.keyString, value: record.value, maxBytes: maxEventBytes) {
        case .failure(let rejection):
            metrics.increment("hub_status_events_deadlettered_total", labels: ["agency": agencyLabel, "reason": rejection.code],
                              help: "Records that could not be read as status events.")
            return [failures.route(record, failure: RecordFailure(.permanent, code: rejection.code, message: rejection.message,
                                                                  stage: "intake", path: rejection.path))]
        case .success(let read): event = read
        }
        let outcome = try lock.withLock { try core.ingest(event) }
        let labels = ["agency": event.agency, "service": event.serviceId]
        switch outcome {
        case .duplicate:
            metrics.increment("hub_status_events_duplicate_total", labels: labels, help: "Repeated event ids, counted and dropped.")
            return []
        case .quarantined(let reason):
            metrics.increment("hub_status_events_quarantined_total", labels: labels.merging(["reason": reason.code.rawValue]) { $1 },
                              help: "Events kept aside until the catalogue or the case can place them.")
            return [failures.route(record, failure: RecordFailure(.quarantine, code: reason.code.rawValue, message: reason.message,
                                                                  stage: "placement", path: "$"))]
        case .recordedLate:
            metrics.increment("hub_status_events_late_total", labels: labels, help: "Events older than their case's latest: history only.")
            return [try history(event, envelope: envelope(for: event, from: record))]
        case .accepted(let state, let notice):
            metrics.increment("hub_status_events_accepted_total", labels: labels, help: "Events that moved a case.")
            if state.slaBreached {
                metrics.increment("hub_status_sla_breaches_total", labels: labels, help: "Accepted events of cases past their legal maximum.")
            }
            let envelope = envelope(for: event, from: record)
            var outputs = [try history(event, envelope: envelope), try current(state, envelope: envelope)]
            if let notice {
                if let request = try notification(event, notice: notice, envelope: envelope) {
                    outputs.append(request)
                    metrics.increment("hub_status_notification_requests_total", labels: labels.merging(["class": notice.messageClass.rawValue]) { $1 },
                                      help: "Notification requests written for transitions the catalogue marks.")
                } else {
                    metrics.increment("hub_status_notices_without_client_total", labels: labels,
                                      help: "Transitions that would notify, on events that name no client.")
                }
            }
            return outputs
        }
    }

    /// The dead letter of a record that crashed the service `crashes` times in a row.
    func poison(_ record: KafkaConsumerRecord, crashes: Int) -> KafkaProducerRecord {
        failures.route(record, failure: .crashedService(crashes: crashes, stage: "ingest"))
    }

    /// The incoming envelope when the agency sent one, else one made from the event.
    private func envelope(for event: StatusEvent, from record: KafkaConsumerRecord) -> RecordEnvelope {
        let pairs = record.headers.compactMap { header in header.stringValue.map { (key: header.key, value: $0) } }
        let incoming = try? RecordEnvelope(headers: pairs)
        return RecordEnvelope(schema: StatusEvent.schema, source: "hub/\(Self.service)", eventId: event.eventId,
                              correlationId: incoming?.correlationId, causationId: incoming?.eventId.lowercasedString,
                              traceparent: incoming?.traceparent.child() ?? .fresh())
    }

    private func history(_ event: StatusEvent, envelope: RecordEnvelope) throws -> KafkaProducerRecord {
        KafkaProducerRecord(topic: HubTopics.statusHistory.name, key: Array(event.kafkaKey.utf8),
                            value: try TopicValueCodec.bytes(event),
                            headers: envelope.headers().map { KafkaHeader(key: $0.key, string: $0.value) })
    }

    /// The current state's envelope: the event's correlation and trace, its own id and schema.
    private func current(_ state: CaseState, envelope: RecordEnvelope) throws -> KafkaProducerRecord {
        var headers = envelope
        headers.schema = SchemaReference(id: "case-state", version: 1)
        headers.eventId = UUID.random()
        return KafkaProducerRecord(topic: HubTopics.statusCurrent.name, key: Array(state.kafkaKey.utf8),
                                   value: try RecordJSON.bytes(state),
                                   headers: headers.headers().map { KafkaHeader(key: $0.key, string: $0.value) })
    }

    /// The request to tell the client, keyed by their pseudonym; nil when the event names no client.
    private func notification(_ event: StatusEvent, notice: TransitionNotice, envelope: RecordEnvelope) throws -> KafkaProducerRecord? {
        guard let client = event.client else { return nil }
        let request = NotificationRequest(
            requestId: event.eventId, clientKey: ClientPseudonym.key(for: client, secret: pseudonymSecret),
            representativeKey: event.representative.map { ClientPseudonym.key(for: $0, secret: pseudonymSecret) },
            agency: event.agency, caseId: event.caseId, serviceId: event.serviceId, status: event.status, step: event.step,
            messageClass: notice.messageClass, occurredAt: event.occurredAt, link: event.result?.link)
        var headers = envelope
        headers.schema = SchemaReference(id: "notification-request", version: 1)
        headers.eventId = event.eventId
        return KafkaProducerRecord(topic: HubTopics.notifyRequests.name, key: Array(request.clientKey.utf8),
                                   value: try RecordJSON.bytes(request),
                                   headers: headers.headers().map { KafkaHeader(key: $0.key, string: $0.value) })
    }
}
