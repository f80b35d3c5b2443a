import Foundation
import HubLogging
import HubRuntime
import Kafka
import Topics

/// `hub topics apply|list|describe`: the declarations in `Topics` are the
/// single source for what exists in the cluster.
enum TopicsCommand {
    static let help = """
    Usage: hub topics apply [--production]   create every declared topic (families for hub.agencies)
           hub topics list                   the cluster's topics, marking the declared ones
           hub topics describe NAME          partitions, replicas and configs of one topic
           hub topics render                 rewrite docs/topics.md and Deploy/production/kafka-topics.yaml
    """

    static func run(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config"], switches: ["production"])
        if arguments.has("help") || arguments.positionals.isEmpty { print(help); return }
        let context = try HubContext(arguments: arguments)
        if arguments.positionals[0] == "render" {
            try TopicCatalogDocument.markdown().write(toFile: TopicCatalogDocument.markdownPath, atomically: true, encoding: .utf8)
            try TopicCatalogDocument.strimziManifests(agencies: context.configuration.agencies)
                .write(toFile: TopicCatalogDocument.manifestPath, atomically: true, encoding: .utf8)
            print("wrote \(TopicCatalogDocument.markdownPath) and \(TopicCatalogDocument.manifestPath)")
            return
        }
        let client = try context.requireKafka()
        switch arguments.positionals[0] {
        case "apply":
            let outcome = try await apply(client: client, configuration: context.configuration,
                                          production: arguments.has("production"), logger: context.logger)
            for (name, result) in outcome.sorted(by: { $0.key < $1.key }) {
                switch result {
                case .created: print("created  \(name)")
                case .alreadyExists: print("exists   \(name)")
                case .failed(let error): print("FAILED   \(name): \(error)")
                }
            }
            if outcome.values.contains(where: { if case .failed = $0 { true } else { false } }) { exit(1) }
        case "list":
            let admin = try KafkaAdmin(client: client, logger: context.logger)
            let names = try await admin.listTopics()
            await admin.close()
            for name in names {
                print((HubTopics.declaration(named: name) != nil ? "declared  " : "other     ") + name)
            }
        case "describe":
            guard arguments.positionals.count > 1 else { throw UsageError("describe needs a topic NAME") }
            let admin = try KafkaAdmin(client: client, logger: context.logger)
            let description = try await admin.describeTopic(arguments.positionals[1])
            await admin.close()
            guard let description else { throw UsageError("no topic '\(arguments.positionals[1])'") }
            print("topic \(description.name): \(description.partitions.count) partitions")
            for partition in description.partitions {
                print("  partition \(partition.id) leader \(partition.leader) replicas \(partition.replicas) isr \(partition.inSyncReplicas)")
            }
            for (key, value) in description.configs.sorted(by: { $0.key < $1.key }) { print("  \(key) = \(value)") }
            if let declaration = HubTopics.declaration(named: description.name) {
                print("declared: owner \(declaration.owner), key \(declaration.keyFormat)")
            }
        default:
            throw UsageError("unknown topics command '\(arguments.positionals[0])'\n\(help)")
        }
    }

    /// The declared topics as concrete specifications (families expanded per agency).
    static func specifications(configuration: HubConfiguration, production: Bool) throws -> [KafkaTopicSpecification] {
        let replication = Int16(try configuration.integer("topics.replication.factor"))
        let asProduction = production || configuration["topics.production"] == "true"
        var result: [KafkaTopicSpecification] = []
        for declaration in HubTopics.all {
            let concrete = declaration.isFamily
                ? try configuration.agencies.map { try declaration.instantiate(agency: $0) }
                : [declaration]
            for topic in concrete {
                result.append(KafkaTopicSpecification(
                    name: topic.name, partitions: topic.partitions,
                    replicationFactor: asProduction ? topic.replicationFactor : replication,
                    configs: topic.topicConfigs(production: asProduction)))
            }
        }
        return result
    }

    static func apply(client: KafkaClientProperties, configuration: HubConfiguration, production: Bool,
                      logger: Logger) async throws -> [String: KafkaTopicCreation] {
        let admin = try KafkaAdmin(client: client, logger: logger)
        defer { Task { await admin.close() } }
        return try await admin.createTopics(try specifications(configuration: configuration, production: production))
    }
}
