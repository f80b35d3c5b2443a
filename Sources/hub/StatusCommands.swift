import Foundation
import HubLogging
import HubRuntime
import Kafka
import StatusIngest
import StatusIngestService
import Topics

/// `hub catalogue`, `hub ingest` and `hub status`: status ingestion from the command line.
enum StatusCommands {
    static let catalogueHelp = """
    Usage: hub catalogue load FILE     publish service definitions (a JSON array) to catalogue.services
           hub catalogue list          the services the hub knows
    """

    static func catalogue(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config"], switches: [])
        if arguments.has("help") || arguments.positionals.isEmpty { print(catalogueHelp); return }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        switch arguments.positionals[0] {
        case "load":
            guard arguments.positionals.count > 1 else { throw UsageError("catalogue load needs a FILE") }
            let count = try await CataloguePublisher.publish(file: URL(fileURLWithPath: arguments.positionals[1]), client: client, logger: context.logger)
            print("published \(count) services to \(HubTopics.catalogueServices.name)")
        case "list":
            let values = try await TopicSnapshot.latestByKey(topic: HubTopics.catalogueServices.name, client: client, logger: context.logger)
            for (id, value) in values.sorted(by: { $0.key < $1.key }) {
                let definition = try? JSONDecoder().decode(ServiceDefinition.self, from: Data(value))
                print("\(id.padding(toLength: 16, withPad: " ", startingAt: 0)) \(definition?.ownerAgency ?? "?")  \(definition?.names.en ?? definition?.names.lv ?? "(unreadable)")")
            }
        default:
            throw UsageError("unknown catalogue command\n\(catalogueHelp)")
        }
    }

    static let ingestHelp = """
    Usage: hub ingest [--http-port P]
    Runs status ingestion alone: status.events.<AGENCY> -> status.history, status.current, status.quarantine, hub.deadletter.
    """

    static func ingest(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "http-port"], switches: [])
        if arguments.has("help") { print(ingestHelp); return }
        let context = try HubContext(arguments: arguments)
        let metrics = MetricsRegistry(), readiness = Readiness()
        var services: [any HubService] = [try makeIngest(client: try context.requireKafka(), context: context, metrics: metrics, readiness: readiness)]
        if let port = arguments.value("http-port").flatMap(Int.init) {
            let ops = OpsHTTPService(host: context.configuration["http.host"]!, port: port, metrics: metrics, readiness: readiness)
            try ops.bind()
            services.insert(ops, at: 0)
        }
        try await ServiceGroup(services: services, logger: context.logger).run()
    }

    static func makeIngest(client: KafkaClientProperties, context: HubContext, metrics: MetricsRegistry, readiness: Readiness) throws -> StatusIngestService {
        StatusIngestService(client: client, instance: context.configuration["hub.instance"]!, groupID: context.configuration["ingest.group"]!,
                            metrics: metrics, readiness: readiness, logger: context.logger,
                            maxEventBytes: try context.configuration.integer("ingest.max.event.bytes"), hubVersion: VersionCommand.hubVersion,
                            pseudonymSecret: context.pseudonymSecret, crashes: try context.configuration.crashJournal(),
                            agencies: context.configuration.list("ingest.agencies"))
    }

    static let statusHelp = """
    Usage: hub status show AGENCY/CASE_ID [--json]
    The case's current state with time per step, from status.current.
    """

    static func status(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config"], switches: ["json"])
        guard !arguments.has("help"), arguments.positionals.count == 2, arguments.positionals[0] == "show" else { print(statusHelp); return }
        let context = try HubContext(arguments: arguments)
        let key = arguments.positionals[1]
        let value = try await TopicSnapshot.latest(key: key, topic: HubTopics.statusCurrent.name, client: try context.requireKafka(), logger: context.logger)
        guard let value else { throw UsageError("no case \(key) in \(HubTopics.statusCurrent.name)") }
        if arguments.has("json") { print(String(decoding: value, as: UTF8.self)); return }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let state = try decoder.decode(CaseState.self, from: Data(value))
        print(state.summary(asOf: Date()), terminator: "")
    }
}

/// `hub report cases`: the MK 399 figures from status.current.
enum ReportCommand {
    static let help = """
    Usage: hub report cases --from YYYY-MM-DD --to YYYY-MM-DD [--by service,channel,agency] [--format table|csv|json]
    Cases first seen in [from, to) per group: submitted, completed, refused, withdrawn, open, median and
    90th percentile days to completion, the catalogue's expected days, and SLA breaches.
    """

    static func run(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "from", "to", "by", "format"], switches: [])
        guard !arguments.has("help"), arguments.positionals == ["cases"] else { print(help); return }
        guard let from = arguments.value("from").flatMap(day), let to = arguments.value("to").flatMap(day) else {
            throw UsageError("--from and --to take dates as YYYY-MM-DD\n\(help)")
        }
        let dimensions = try (arguments.value("by") ?? "service").split(separator: ",").map { name in
            guard let dimension = CaseReport.Dimension(rawValue: String(name)) else { throw UsageError("--by takes service, channel and agency") }
            return dimension
        }
        let context = try HubContext(arguments: arguments)
        let values = try await TopicSnapshot.latestByKey(topic: HubTopics.statusCurrent.name, client: try context.requireKafka(), logger: context.logger)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let cases = values.values.compactMap { try? decoder.decode(CaseState.self, from: Data($0)) }
        let report = CaseReport(cases: cases, from: from, to: to, by: dimensions, asOf: Date())
        switch arguments.value("format") ?? "table" {
        case "csv": print(report.csv(dimensions: dimensions), terminator: "")
        case "json":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report.rows), as: UTF8.self))
        case "table":
            print(report.table(dimensions: dimensions), terminator: "")
        default: throw UsageError("--format is table, csv or json")
        }
    }

    static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text)
    }
}
