import Foundation
import Testing
@testable import Topics

/// One row of the topic table from the issue.
struct ExpectedTopic: Sendable, CustomTestStringConvertible {
    let name: String
    let policy: CleanupPolicy
    let retention: Retention?
    var testDescription: String { name }
}

@Suite("Topic declarations")
struct TopicDeclarationTests {
    static let expected: [ExpectedTopic] = [
        ExpectedTopic(name: "status.events.{agency}", policy: .delete, retention: .days(30)),
        ExpectedTopic(name: "status.history", policy: .delete, retention: .forever),
        ExpectedTopic(name: "status.current", policy: .compact, retention: nil),
        ExpectedTopic(name: "status.quarantine", policy: .delete, retention: .days(90)),
        ExpectedTopic(name: "status.stats", policy: .compact, retention: nil),
        ExpectedTopic(name: "catalogue.services", policy: .compact, retention: nil),
        ExpectedTopic(name: "notify.requests", policy: .delete, retention: .days(14)),
        ExpectedTopic(name: "notify.eaddress", policy: .delete, retention: .days(14)),
        ExpectedTopic(name: "notify.sms", policy: .delete, retention: .days(14)),
        ExpectedTopic(name: "notify.email", policy: .delete, retention: .days(14)),
        ExpectedTopic(name: "notify.push", policy: .delete, retention: .days(14)),
        ExpectedTopic(name: "notify.receipts", policy: .delete, retention: .days(180)),
        ExpectedTopic(name: "notify.scheduled", policy: .compact, retention: .forever),
        ExpectedTopic(name: "notify.templates", policy: .compact, retention: nil),
        ExpectedTopic(name: "clients.profiles", policy: .compact, retention: nil),
        ExpectedTopic(name: "dagr.lookup.requests", policy: .delete, retention: .days(1)),
        ExpectedTopic(name: "dagr.lookup.replies", policy: .delete, retention: .days(1)),
        ExpectedTopic(name: "dagr.lookup.audit", policy: .delete, retention: .days(400)),
        ExpectedTopic(name: "dagr.policy", policy: .compact, retention: nil),
        ExpectedTopic(name: "dagr.changes", policy: .delete, retention: .days(30)),
        ExpectedTopic(name: "dagr.changes.cursor", policy: .compact, retention: nil),
        ExpectedTopic(name: "hub.retry.10s", policy: .delete, retention: .days(1)),
        ExpectedTopic(name: "hub.retry.1m", policy: .delete, retention: .days(1)),
        ExpectedTopic(name: "hub.retry.10m", policy: .delete, retention: .days(1)),
        ExpectedTopic(name: "hub.deadletter", policy: .delete, retention: .forever),
        ExpectedTopic(name: "hub.deadletter.state", policy: .compact, retention: nil),
        ExpectedTopic(name: "hub.audit", policy: .delete, retention: .forever),
    ]

    static let families = HubTopics.all.filter(\.isFamily)
    static let compacted = HubTopics.all.filter { $0.cleanupPolicy == .compact }

    @Test("Names are unique")
    func uniqueNames() {
        let names = HubTopics.all.map(\.name)
        #expect(Set(names).count == names.count)
    }

    @Test("HubTopics.all holds exactly the topics of the issue")
    func allTopicsDeclared() {
        #expect(Set(HubTopics.all.map(\.name)) == Set(Self.expected.map(\.name)))
        #expect(HubTopics.all.count == Self.expected.count)
    }

    @Test("Cleanup policy and retention as specified", arguments: expected)
    func policyAndRetention(_ topic: ExpectedTopic) throws {
        let declaration = try #require(HubTopics.declaration(named: topic.name))
        #expect(declaration.cleanupPolicy == topic.policy)
        if let retention = topic.retention {
            #expect(declaration.retention == retention)
        }
        #expect(declaration.partitions >= 1)
        #expect(declaration.replicationFactor == 3)
        #expect(declaration.minInSyncReplicas == 2)
        #expect(!declaration.owner.isEmpty && !declaration.summary.isEmpty && !declaration.keyFormat.isEmpty)
    }

    @Test("Status event topics carry the status-event v1 schema; the rest have none yet")
    func valueSchemas() {
        for declaration in HubTopics.all {
            let expectsSchema = ["status.events.{agency}", "status.history"].contains(declaration.name)
            #expect(declaration.valueSchema == (expectsSchema ? SchemaReference(id: "status-event", version: 1) : nil),
                    "\(declaration.name)")
        }
        #expect(HubTopics.statusEvents.valueSchema?.description == "status-event.v1")
    }

    @Test("The status event family is declared as in the issue")
    func statusEventsFamily() {
        let family = HubTopics.statusEvents
        #expect(family.isFamily)
        #expect(family.partitions == 6)
        #expect(family.keyFormat == "<AGENCY>/<caseId>")
        #expect(family.owner == "agency systems")
        #expect(family.subscriptionPattern == #"^status\.events\.[A-Z0-9_-]+$"#)
        #expect(Self.families == [family])
    }

    @Test("Every family instantiates for a valid agency", arguments: families)
    func familiesInstantiate(_ family: TopicDeclaration) throws {
        let instance = try family.instantiate(agency: "VID")
        #expect(!instance.isFamily)
        #expect(!instance.name.contains("{agency}"))
        #expect(instance.familyTemplate == family.name)
        #expect(family.agencyCode(in: instance.name) == "VID")
        #expect(instance.name.range(of: family.subscriptionPattern, options: .regularExpression) != nil)
        #expect(instance.partitions == family.partitions && instance.cleanupPolicy == family.cleanupPolicy)
    }

    @Test("Bad agency codes are rejected", arguments: [
        "", "V", "vid", "Vid", "VID.X", "VID/1", "VID X", "VĪD", String(repeating: "A", count: 33), "{VID}",
    ])
    func badAgencyCode(agency: String) {
        #expect(throws: TopicDeclarationError.invalidAgencyCode(agency)) {
            try HubTopics.statusEvents.instantiate(agency: agency)
        }
        #expect(TopicDeclarationError.invalidAgencyCode(agency).code == "invalid_agency_code")
        #expect(HubTopics.declaration(named: "status.events.\(agency)") == nil)
    }

    @Test("Boundary agency codes are accepted", arguments: ["VI", "PMLP", "VSAA_2", "LV-RIGA", String(repeating: "Z", count: 32)])
    func goodAgencyCode(agency: String) throws {
        #expect(try HubTopics.statusEvents.instantiate(agency: agency).name == "status.events.\(agency)")
    }

    @Test("A plain topic cannot be instantiated")
    func plainTopicIsNotAFamily() {
        #expect(throws: TopicDeclarationError.notAFamily("status.history")) {
            try HubTopics.statusHistory.instantiate(agency: "VID")
        }
    }

    @Test("Compacted topics render cleanup.policy=compact", arguments: compacted)
    func compactedConfigs(_ declaration: TopicDeclaration) {
        #expect(declaration.topicConfigs["cleanup.policy"] == "compact")
    }

    @Test("Configs render Kafka values; min.insync.replicas only for production")
    func configs() {
        #expect(HubTopics.statusHistory.topicConfigs == ["cleanup.policy": "delete", "retention.ms": "-1"])
        #expect(HubTopics.statusEvents.topicConfigs(production: true) == [
            "cleanup.policy": "delete", "retention.ms": "2592000000", "min.insync.replicas": "2",
        ])
        #expect(HubTopics.hubRetry10s.topicConfigs["retention.ms"] == "86400000")
        #expect(Retention.hours(1).configValue == "3600000")
        #expect(CleanupPolicy.compactDelete.configValue == "compact,delete")
        #expect(CleanupPolicy.delete.configValue == "delete")
    }

    @Test("declaration(named:) finds exact names and family instances only")
    func lookup() throws {
        let instance = try #require(HubTopics.declaration(named: "status.events.VID"))
        #expect(instance.name == "status.events.VID")
        #expect(instance.familyTemplate == "status.events.{agency}")
        #expect(instance.valueSchema == StatusEvent.schema)
        #expect(HubTopics.declaration(named: "status.history") == HubTopics.statusHistory)
        #expect(HubTopics.declaration(named: "status.events.{agency}") == HubTopics.statusEvents)
        for unknown in ["status.events.", "status.events", "status.events.VID.extra", "status.historyx", "nope"] {
            #expect(HubTopics.declaration(named: unknown) == nil, "\(unknown)")
        }
    }

    @Test("Subscription patterns are anchored and escape dots")
    func subscriptionPatterns() {
        let pattern = HubTopics.statusEvents.subscriptionPattern
        for (topic, matches) in [("status.events.VID", true), ("status.events.VID.x", false),
                                 ("statusXevents.VID", false), ("status.events.", false), ("status.events.vid", false)] {
            #expect((topic.range(of: pattern, options: .regularExpression) != nil) == matches, "\(topic)")
        }
        #expect(HubTopics.statusHistory.subscriptionPattern == #"^status\.history$"#)
    }
}
