import Foundation

/// Everything the hub needs to create, subscribe to and document one Kafka topic (or a per-agency family).
/// Kept free of any Kafka client types so every service and the docs generator can share it.
public struct TopicDeclaration: Sendable, Hashable {
    /// Placeholder that marks a per-agency topic family, e.g. "status.events.{agency}".
    public static let agencyPlaceholder = "{agency}"

    /// Topic name, or a template containing `{agency}` for a family.
    public let name: String
    /// Partition count; the unit of parallelism and per-key ordering.
    public let partitions: Int32
    /// Copies of each partition in production.
    public let replicationFactor: Int16
    /// Replicas that must acknowledge a write in production (`min.insync.replicas`).
    public let minInSyncReplicas: Int16
    /// Delete, compact or both.
    public let cleanupPolicy: CleanupPolicy
    /// How long records are kept.
    public let retention: Retention
    /// What the record key holds, e.g. "<AGENCY>/<caseId>"; partitioning and compaction depend on it.
    public let keyFormat: String
    /// Schema of record values, nil while the topic has no published contract.
    public let valueSchema: SchemaReference?
    /// The service (or party) that writes the topic and answers for its contents.
    public let owner: String
    /// One sentence for generated documentation.
    public let summary: String
    /// Template this topic was instantiated from, nil for plain topics and for templates themselves.
    public let familyTemplate: String?

    /// Declares a topic; production defaults are replication 3 and min.insync.replicas 2.
    public init(
        name: String,
        partitions: Int32,
        replicationFactor: Int16 = 3,
        minInSyncReplicas: Int16 = 2,
        cleanupPolicy: CleanupPolicy,
        retention: Retention,
        keyFormat: String,
        valueSchema: SchemaReference? = nil,
        owner: String,
        summary: String,
        familyTemplate: String? = nil
    ) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.minInSyncReplicas = minInSyncReplicas
        self.cleanupPolicy = cleanupPolicy
        self.retention = retention
        self.keyFormat = keyFormat
        self.valueSchema = valueSchema
        self.owner = owner
        self.summary = summary
        self.familyTemplate = familyTemplate
    }

    /// True when the name is a template that needs an agency code before it names a real topic.
    public var isFamily: Bool { name.contains(Self.agencyPlaceholder) }

    /// Checks an agency code against `^[A-Z0-9_-]{2,32}$`, the only codes allowed inside topic names.
    public static func isValidAgencyCode(_ code: String) -> Bool {
        guard (2...32).contains(code.utf8.count) else { return false }
        return code.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// The concrete topic of one agency in this family, e.g. "status.events.VID".
    public func instantiate(agency: String) throws(TopicDeclarationError) -> TopicDeclaration {
        guard isFamily else { throw .notAFamily(name) }
        guard Self.isValidAgencyCode(agency) else { throw .invalidAgencyCode(agency) }
        return TopicDeclaration(
            name: name.replacingOccurrences(of: Self.agencyPlaceholder, with: agency),
            partitions: partitions,
            replicationFactor: replicationFactor,
            minInSyncReplicas: minInSyncReplicas,
            cleanupPolicy: cleanupPolicy,
            retention: retention,
            keyFormat: keyFormat,
            valueSchema: valueSchema,
            owner: owner,
            summary: summary,
            familyTemplate: name
        )
    }

    /// The agency code when `topicName` is an instance of this family, so consumers know who published.
    public func agencyCode(in topicName: String) -> String? {
        // Byte-wise: this runs for every record a family consumer reads.
        let template = Array(name.utf8), placeholder = Array(Self.agencyPlaceholder.utf8), topic = Array(topicName.utf8)
        guard let start = template.indices.first(where: { template[$0...].starts(with: placeholder) }) else { return nil }
        let prefix = template[..<start], suffix = template[(start + placeholder.count)...]
        guard topic.count > prefix.count + suffix.count, topic.starts(with: prefix),
              topic[(topic.count - suffix.count)...].elementsEqual(suffix) else { return nil }
        let agency = String(decoding: topic[prefix.count..<(topic.count - suffix.count)], as: UTF8.self)
        return Self.isValidAgencyCode(agency) ? agency : nil
    }

    /// Anchored regex for pattern subscriptions: every agency of a family, or exactly this topic.
    public var subscriptionPattern: String {
        let parts = name.components(separatedBy: Self.agencyPlaceholder)
        return "^" + parts.map(Self.escapedForRegex).joined(separator: "[A-Z0-9_-]+") + "$"
    }

    /// Anchored regex for only `agencies`' topics of a family; every agency when the list is empty.
    public func subscriptionPattern(agencies: [String]) -> String {
        guard !agencies.isEmpty else { return subscriptionPattern }
        let parts = name.components(separatedBy: Self.agencyPlaceholder)
        return "^" + parts.map(Self.escapedForRegex).joined(separator: "(" + agencies.map(Self.escapedForRegex).joined(separator: "|") + ")") + "$"
    }

    /// Topic configs for development clusters (no `min.insync.replicas`).
    public var topicConfigs: [String: String] { topicConfigs(production: false) }

    /// Topic configs to apply at creation; production adds `min.insync.replicas`.
    public func topicConfigs(production: Bool) -> [String: String] {
        var configs = [
            "cleanup.policy": cleanupPolicy.configValue,
            "retention.ms": retention.configValue,
        ]
        if production {
            configs["min.insync.replicas"] = String(minInSyncReplicas)
        }
        return configs
    }

    private static func escapedForRegex(_ text: String) -> String {
        let special: Set<Character> = ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]
        var escaped = ""
        for character in text {
            if special.contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
