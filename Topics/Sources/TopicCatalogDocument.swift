/// Renders the topic declarations for people and for deployment: the
/// contract page `docs/topics.md` and Strimzi `KafkaTopic` manifests. Both
/// are generated from `HubTopics.all`, so they cannot disagree with it.
public enum TopicCatalogDocument {
    /// Where the rendered files live, relative to the repository root.
    public static let markdownPath = "docs/topics.md"
    public static let manifestPath = "Deploy/production/kafka-topics.yaml"

    public static func markdown(_ declarations: [TopicDeclaration] = HubTopics.all) -> String {
        var out = """
        # Topic contracts

        Generated from `Topics/Sources/HubTopics.swift` by `hub topics render`; do not edit by hand
        (a test fails when this page and the declarations differ).

        Every record carries the envelope headers (see below). Keys keep one case's or one
        client's records in order on one partition. `{agency}` topics exist once per agency
        (`hub.agencies`); agencies write only their own.

        | topic | partitions | cleanup | retention | key | value schema | owner |
        |---|---|---|---|---|---|---|

        """
        for topic in declarations {
            let schema = topic.valueSchema.map { "[`\($0.description)`](../Topics/schemas/\($0.fileName))" } ?? "—"
            out += "| `\(topic.name)` | \(topic.partitions) | \(topic.cleanupPolicy.rawValue) | \(retentionText(topic.retention)) "
                + "| `\(topic.keyFormat)` | \(schema) | \(topic.owner) |\n"
        }
        out += "\n## What each topic is for\n\n"
        for topic in declarations { out += "- `\(topic.name)` — \(topic.summary)\n" }
        out += """

        ## The record envelope (headers)

        | header | meaning |
        |---|---|
        | `\(EnvelopeHeaderName.schemaId)` | value schema id, e.g. `status-event` |
        | `\(EnvelopeHeaderName.schemaVersion)` | value schema version (integer) |
        | `\(EnvelopeHeaderName.eventId)` | UUID of this event: the idempotency key every consumer de-duplicates by |
        | `\(EnvelopeHeaderName.correlationId)` | the id shared by everything one original event caused |
        | `\(EnvelopeHeaderName.causationId)` | the event id of the record that caused this one |
        | `\(EnvelopeHeaderName.traceparent)` | W3C trace context, `00-<trace id>-<span id>-01` |
        | `\(EnvelopeHeaderName.source)` | who wrote it: an agency code or `hub/<service>` |
        | `\(EnvelopeHeaderName.contentType)` | `application/json` |

        ## Versioning rule

        Readers accept unknown fields and every version up to their own; adding an optional
        field is not a new version. Removing or renaming a field, making one required, or
        changing a type or meaning is breaking and needs a new version (`status-event.v2`), with
        the old one kept readable. A record of a version newer than the reader knows is refused
        with `unsupported_version`, never guessed at. The JSON Schemas in `Topics/schemas/` are
        generated from the Swift types; a test fails when they drift.

        """
        return out
    }

    /// Strimzi `KafkaTopic` resources for an Apache Kafka cluster, one per topic
    /// (families expanded for `agencies`).
    public static func strimziManifests(agencies: [String], cluster: String = "hub") throws -> String {
        var out = "# Generated from Topics/Sources/HubTopics.swift by `hub topics render`; do not edit by hand.\n"
        for declaration in HubTopics.all {
            let topics = declaration.isFamily ? try agencies.map { try declaration.instantiate(agency: $0) } : [declaration]
            for topic in topics {
                out += """
                ---
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata:
                  name: \(resourceName(topic.name))
                  labels:
                    strimzi.io/cluster: \(cluster)
                    hub.gov.lv/owner: \(resourceName(topic.owner))
                spec:
                  topicName: \(topic.name)
                  partitions: \(topic.partitions)
                  replicas: \(topic.replicationFactor)
                  config:

                """
                for (key, value) in topic.topicConfigs(production: true).sorted(by: { $0.key < $1.key }) {
                    out += "    \(key): \"\(value)\"\n"
                }
            }
        }
        return out
    }

    static func retentionText(_ retention: Retention) -> String {
        switch retention {
        case .forever: "forever"
        case .days(let days): "\(days) d"
        case .hours(let hours): "\(hours) h"
        }
    }

    /// Kubernetes names: lower case, digits, '-' and '.'.
    static func resourceName(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" })
    }
}
