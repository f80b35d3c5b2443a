/// The single list of topics used by the hub services, so names, keys and configs live in one place.
public enum HubTopics {
    private static let statusIngest = "status-ingest"
    private static let notify = "notify-dispatch"
    private static let dagr = "dagr-gateway"
    private static let deadLetters = "hub-deadletters"
    private static let caseKey = "<AGENCY>/<caseId>"
    private static let clientKey = "<clientKey> (pseudonymous client key)"

    // MARK: Status

    /// Per-agency inbox where agency systems publish case status events.
    public static let statusEvents = TopicDeclaration(
        name: "status.events.{agency}", partitions: 6, cleanupPolicy: .delete, retention: .days(30),
        keyFormat: caseKey, valueSchema: StatusEvent.schema, owner: "agency systems",
        summary: "Raw case status events published by one agency, validated by status-ingest.")

    /// Validated events from all agencies, the hub's canonical status record.
    public static let statusHistory = TopicDeclaration(
        name: "status.history", partitions: 6, cleanupPolicy: .delete, retention: .forever,
        keyFormat: caseKey, valueSchema: StatusEvent.schema, owner: statusIngest,
        summary: "Canonical, validated status events of all agencies, kept forever.")

    /// Latest status per case, for lookups without replaying history.
    public static let statusCurrent = TopicDeclaration(
        name: "status.current", partitions: 6, cleanupPolicy: .compact, retention: .forever,
        keyFormat: caseKey, owner: statusIngest,
        summary: "Latest known status of every case, compacted by case key.")

    /// Events the hub cannot place yet, kept (not lost) until the catalogue knows them.
    public static let statusQuarantine = TopicDeclaration(
        name: "status.quarantine", partitions: 3, cleanupPolicy: .delete, retention: .days(90),
        keyFormat: "<original key as received>", owner: statusIngest,
        summary: "Valid status events the hub cannot place (unknown service or step, illegal transition), with the reason; replayable.")

    /// Running counters per agency and service for dashboards.
    public static let statusStats = TopicDeclaration(
        name: "status.stats", partitions: 3, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<AGENCY>/<serviceId>", owner: statusIngest,
        summary: "Aggregated status counts per agency and service, compacted.")

    /// The public service catalogue that status events refer to by serviceId.
    public static let catalogueServices = TopicDeclaration(
        name: "catalogue.services", partitions: 1, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<serviceId>", owner: statusIngest,
        summary: "Known public services, compacted by service id.")

    // MARK: Notifications

    /// Notification intents derived from status events, before a channel is chosen.
    public static let notifyRequests = notificationTopic(
        "notify.requests", "Notification requests awaiting channel selection.")
    /// Notifications routed to the official e-address (e-adrese).
    public static let notifyEAddress = notificationTopic(
        "notify.eaddress", "Notifications to deliver to the client's official e-address.")
    /// Notifications routed to SMS.
    public static let notifySMS = notificationTopic(
        "notify.sms", "Notifications to deliver by SMS.")
    /// Notifications routed to e-mail.
    public static let notifyEmail = notificationTopic(
        "notify.email", "Notifications to deliver by e-mail.")
    /// Notifications routed to mobile push.
    public static let notifyPush = notificationTopic(
        "notify.push", "Notifications to deliver as mobile push messages.")

    /// Delivery receipts, kept long enough to answer client complaints.
    public static let notifyReceipts = TopicDeclaration(
        name: "notify.receipts", partitions: 3, cleanupPolicy: .delete, retention: .days(180),
        keyFormat: clientKey, owner: notify,
        summary: "Delivery outcomes of notifications per channel.")

    /// Notices held until their `notBefore` (quiet hours), by the channel workers that will send them.
    public static let notifyScheduled = TopicDeclaration(
        name: "notify.scheduled", partitions: 3, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<notificationId>", owner: notify,
        summary: "Notices waiting for their notBefore (quiet hours), compacted by notification id; a tombstone once released.")

    /// Message templates per status and language.
    public static let notifyTemplates = TopicDeclaration(
        name: "notify.templates", partitions: 1, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<templateId>", owner: notify,
        summary: "Notification templates, compacted by template id.")

    /// Client notification preferences and consents.
    public static let clientsProfiles = TopicDeclaration(
        name: "clients.profiles", partitions: 3, cleanupPolicy: .compact, retention: .forever,
        keyFormat: clientKey, owner: notify,
        summary: "Client channel preferences and consents, compacted by pseudonymous client key.")

    // MARK: DAGR lookups

    /// Data lookup requests sent to DAGR.
    public static let dagrLookupRequests = TopicDeclaration(
        name: "dagr.lookup.requests", partitions: 3, cleanupPolicy: .delete, retention: .days(1),
        keyFormat: "<requestId>", owner: dagr,
        summary: "Data lookup requests waiting to be answered by DAGR.")

    /// DAGR answers, correlated to requests by request id.
    public static let dagrLookupReplies = TopicDeclaration(
        name: "dagr.lookup.replies", partitions: 3, cleanupPolicy: .delete, retention: .days(1),
        keyFormat: "<requestId>", owner: dagr,
        summary: "Replies to data lookup requests.")

    /// Who looked up what and why, kept beyond a year for data-protection audits.
    public static let dagrLookupAudit = TopicDeclaration(
        name: "dagr.lookup.audit", partitions: 3, cleanupPolicy: .delete, retention: .days(400),
        keyFormat: "<requestId>", owner: dagr,
        summary: "Audit trail of every data lookup and its legal basis.")

    /// Which agency may look up which data.
    public static let dagrPolicy = TopicDeclaration(
        name: "dagr.policy", partitions: 1, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<AGENCY>", owner: dagr,
        summary: "Lookup permissions per agency, compacted.")

    /// Changes the register reports (a company liquidated, an address changed), for systems that pre-filled data.
    public static let dagrChanges = TopicDeclaration(
        name: "dagr.changes", partitions: 3, cleanupPolicy: .delete, retention: .days(30),
        keyFormat: "<objectKey>: registration number, address code, or a person's <clientKey>", owner: dagr,
        summary: "Changes in register data (company liquidated, address changed, person deceased), each once; persons by client key only.")

    /// How far the change feed has read the register's change list.
    public static let dagrChangesCursor = TopicDeclaration(
        name: "dagr.changes.cursor", partitions: 1, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<register> (`dagr`)", owner: dagr,
        summary: "The change feed's position in the register's change list, written with the changes it covers.")

    // MARK: Retries, dead letters, audit

    /// First retry stage, 10 seconds after a failure.
    public static let hubRetry10s = retryTopic("hub.retry.10s", "10 seconds")
    /// Second retry stage, 1 minute after a failure.
    public static let hubRetry1m = retryTopic("hub.retry.1m", "1 minute")
    /// Last retry stage, 10 minutes after a failure.
    public static let hubRetry10m = retryTopic("hub.retry.10m", "10 minutes")

    /// Records that exhausted retries, kept until an operator resolves them.
    public static let hubDeadLetter = TopicDeclaration(
        name: "hub.deadletter", partitions: 3, cleanupPolicy: .delete, retention: .forever,
        keyFormat: "<original key>", owner: deadLetters,
        summary: "Records that could not be processed, with original headers and the failure.")

    /// Resolution state of each dead letter (open, replayed, discarded).
    public static let hubDeadLetterState = TopicDeclaration(
        name: "hub.deadletter.state", partitions: 3, cleanupPolicy: .compact, retention: .forever,
        keyFormat: "<dead-letter topic>/<partition>/<offset>", owner: deadLetters,
        summary: "Resolution of every dead letter (replayed, purged; JSON DeadLetterState), compacted.")

    /// Cross-service audit log of administrative and replay actions.
    public static let hubAudit = TopicDeclaration(
        name: "hub.audit", partitions: 3, cleanupPolicy: .delete, retention: .forever,
        keyFormat: "<service>", owner: deadLetters,
        summary: "Audit trail of operator actions (dead-letter replays and purges: who, filters, counts, when).")

    /// Every declared topic, in documentation order.
    public static let all: [TopicDeclaration] = [
        statusEvents, statusHistory, statusCurrent, statusQuarantine, statusStats, catalogueServices,
        notifyRequests, notifyEAddress, notifySMS, notifyEmail, notifyPush, notifyReceipts, notifyScheduled, notifyTemplates,
        clientsProfiles,
        dagrLookupRequests, dagrLookupReplies, dagrLookupAudit, dagrPolicy, dagrChanges, dagrChangesCursor,
        hubRetry10s, hubRetry1m, hubRetry10m, hubDeadLetter, hubDeadLetterState, hubAudit,
    ]

    /// Finds a declaration by exact name, or the family a concrete topic belongs to (returned instantiated).
    public static func declaration(named name: String) -> TopicDeclaration? {
        if let exact = all.first(where: { $0.name == name }) { return exact }
        for family in all where family.isFamily {
            if let agency = family.agencyCode(in: name) {
                return try? family.instantiate(agency: agency)
            }
        }
        return nil
    }

    private static func notificationTopic(_ name: String, _ summary: String) -> TopicDeclaration {
        TopicDeclaration(
            name: name, partitions: 3, cleanupPolicy: .delete, retention: .days(14),
            keyFormat: clientKey, owner: notify, summary: summary)
    }

    private static func retryTopic(_ name: String, _ delay: String) -> TopicDeclaration {
        TopicDeclaration(
            name: name, partitions: 3, cleanupPolicy: .delete, retention: .days(1),
            keyFormat: "<original key>", owner: deadLetters,
            summary: "Failed records to retry after \(delay), with original headers.")
    }
}
