import DAGRConnector
import Foundation
import HubLogging
import HubRuntime
import Kafka
import LookupClient
import Lookups
import LookupService
import Sandboxes
import Topics

/// `hub lookup …`: ask the register over the bus, read the audit, load the access policy, run the service;
/// `hub sandbox dagr`: the register emulator.
enum LookupCommands {
    static let help = """
    Usage: hub lookup TYPE --param NAME=VALUE [--param …] --purpose CODE --as AGENCY/SYSTEM [--timeout-ms N] [--json]
             TYPE: person.exists, person.status, company.status, address.validate, object.get
           hub lookup audit [--requester AGENCY[/SYSTEM]] [--since RFC3339] [--json]
           hub lookup policy load [FILE] | list
           hub lookup changes [--kind KIND] [--since RFC3339] [--json]
           hub lookup run [--http-port P]
    Lookups go through dagr.lookup.requests to the lookup service and come back on dagr.lookup.replies;
    every one is audited on dagr.lookup.audit (docs/lookups.md).
    """

    static func run(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "param", "purpose", "as", "timeout-ms", "requester", "since", "http-port", "kind"], switches: ["json"])
        guard !arguments.has("help"), let first = arguments.positionals.first else { print(help); return }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        switch first {
        case "audit": try await audit(arguments, client: client, context: context)
        case "changes": try await changes(arguments, client: client, context: context)
        case "policy": try await policy(arguments, client: client, context: context)
        case "run":
            let metrics = MetricsRegistry(), readiness = Readiness()
            var services: [any HubService] = try makeServices(client: client, context: context, url: nil, metrics: metrics, readiness: readiness)
            if let port = arguments.value("http-port").flatMap(Int.init) {
                let ops = OpsHTTPService(host: context.configuration["http.host"]!, port: port, metrics: metrics, readiness: readiness)
                try ops.bind()
                services.insert(ops, at: 0)
            }
            try await ServiceGroup(services: services, logger: context.logger).run()
        default:
            guard let type = LookupQueryType(rawValue: first) else { throw UsageError("unknown lookup type '\(first)'\n\n\(help)") }
            guard let who = arguments.value("as"), let slash = who.firstIndex(of: "/") else { throw UsageError("--as AGENCY/SYSTEM is required") }
            var parameters: [String: String] = [:]
            for pair in arguments.values("param") {
                guard let equals = pair.firstIndex(of: "=") else { throw UsageError("--param takes NAME=VALUE") }
                parameters[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            let lookups = try await LookupClient(client: client, requester: Requester(agency: String(who[..<slash]), system: String(who[who.index(after: slash)...])),
                                                 logger: context.logger)
            let reply = try await lookups.lookup(type, parameters, purpose: arguments.value("purpose") ?? "",
                                                 timeout: .milliseconds(try arguments.integer("timeout-ms", default: 3_000)))
            await lookups.close()
            if arguments.has("json") {
                print(String(decoding: JSONWriter.encode(ReplyJSON(reply)), as: UTF8.self))
            } else {
                print("outcome: \(reply.outcome.rawValue)" + (reply.reason.map { " (\($0))" } ?? "") + (reply.fromCache ? " [from cache]" : ""))
                for (name, value) in (reply.data ?? [:]).sorted(by: { $0.key < $1.key }) { print("  \(name): \(value)") }
                if let asOf = reply.sourceTimestamp { print("as of \(RFC3339Timestamp.format(asOf))") }
            }
        }
    }

    struct ReplyJSON: JSONWritable {
        let reply: LookupReply
        init(_ reply: LookupReply) { self.reply = reply }
        func write(to writer: inout JSONWriter) {
            writer.object { json in
                json.member("correlationId", reply.correlationId)
                if let data = reply.data {
                    json.key("data")
                    json.object { fields in for (name, value) in data.sorted(by: { $0.key < $1.key }) { fields.key(dynamic: name); fields.string(value) } }
                }
                json.member("fromCache", reply.fromCache)
                json.member("outcome", reply.outcome)
                json.member("reason", reply.reason)
                json.member("sourceTimestamp", reply.sourceTimestamp)
            }
        }
    }

    static func since(_ arguments: Arguments) throws -> Date? {
        try arguments.value("since").map { text -> Date in
            guard let date = RFC3339Timestamp.parse(text) ?? RFC3339Timestamp.parse(text + "T00:00:00Z") else { throw UsageError("--since takes an RFC 3339 time or a date") }
            return date
        }
    }

    /// `hub lookup changes`: what the change feed published on dagr.changes, oldest first.
    static func changes(_ arguments: Arguments, client: KafkaClientProperties, context: HubContext) async throws {
        let since = try since(arguments), kind = arguments.value("kind")
        let found = try await list(RegisterChange.self, on: HubTopics.dagrChanges.name, arguments: arguments, client: client, context: context,
                                   keep: { change in (kind == nil || change.kind == kind) && (since.map { change.changedAt >= $0 } ?? true) },
                                   order: { $0.changeId < $1.changeId },
                                   header: "change              changed at            kind                  object                               fields") { change in
            [String(change.changeId).padding(toLength: 20, withPad: " ", startingAt: 0),
             RFC3339Timestamp.format(change.changedAt).prefix(19).description.padding(toLength: 22, withPad: " ", startingAt: 0),
             change.kind.padding(toLength: 22, withPad: " ", startingAt: 0),
             change.objectKey.padding(toLength: 37, withPad: " ", startingAt: 0),
             (change.changedFields ?? []).joined(separator: ",")].joined()
        }
        if let found { print("\(found.count) change(s)") }
    }

    static func audit(_ arguments: Arguments, client: KafkaClientProperties, context: HubContext) async throws {
        let requester = arguments.value("requester")
        let since = try since(arguments)
        let found = try await list(LookupAudit.self, on: HubTopics.dagrLookupAudit.name, arguments: arguments, client: client, context: context,
                                   keep: { audit in (requester.map { audit.requester.name == $0 || audit.requester.agency == $0 } ?? true)
                                       && (since.map { audit.at >= $0 } ?? true) },
                                   order: { $0.at < $1.at },
                                   header: "time                  requester          purpose              query             outcome       ms      subject") { audit in
            [RFC3339Timestamp.format(audit.at).prefix(19).description.padding(toLength: 22, withPad: " ", startingAt: 0),
             audit.requester.name.padding(toLength: 19, withPad: " ", startingAt: 0),
             audit.purpose.padding(toLength: 21, withPad: " ", startingAt: 0),
             audit.queryType.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0),
             (audit.outcome.rawValue + (audit.fromCache ? "*" : "")).padding(toLength: 14, withPad: " ", startingAt: 0),
             String(format: "%-8.1f", audit.latencyMilliseconds), audit.subject].joined()
        }
        if let found { print("\(found.count) lookup(s)" + (found.contains { $0.fromCache } ? "; * from cache" : "")) }
    }

    /// Reads every record of `topic` as `Value`, keeps those `keep` accepts, sorts them by `order` and prints them:
    /// one JSON line each with `--json` (then nil), else `header` and a `row` each (then the records, for a footer).
    static func list<Value: Codable>(_ type: Value.Type, on topic: String, arguments: Arguments, client: KafkaClientProperties, context: HubContext,
                                     keep: (Value) -> Bool, order: (Value, Value) -> Bool, header: String,
                                     row: (Value) -> String) async throws -> [Value]? {
        var found: [Value] = []
        try await TopicSnapshot.read(topics: [topic], client: client, logger: context.logger) { record in
            guard let value = record.value, let decoded = try? RecordJSON.decode(Value.self, from: Data(value)), keep(decoded) else { return }
            found.append(decoded)
        }
        found.sort(by: order)
        if arguments.has("json") {
            for value in found { print(String(decoding: (try? RecordJSON.encode(value)) ?? Data(), as: UTF8.self)) }
            return nil
        }
        print(header)
        for value in found { print(row(value)) }
        return found
    }

    static func policy(_ arguments: Arguments, client: KafkaClientProperties, context: HubContext) async throws {
        switch arguments.positionals.dropFirst().first {
        case "load":
            guard let file = arguments.positionals.dropFirst(2).first.map({ URL(fileURLWithPath: $0) }) ?? SampleFiles.find("lookup-policy.json") else {
                throw UsageError("policy load needs a FILE (the shipped Topics/samples/lookup-policy.json was not found)")
            }
            let count = try await publishPolicies(file: file, client: client, logger: context.logger)
            print("published the lookup policy of \(count) agencies to \(HubTopics.dagrPolicy.name)")
        case "list":
            let values = try await TopicSnapshot.latestByKey(topic: HubTopics.dagrPolicy.name, client: client, logger: context.logger)
            for (agency, value) in values.sorted(by: { $0.key < $1.key }) {
                guard let policy = try? RecordJSON.decode(LookupPolicy.self, from: Data(value)) else { continue }
                for rule in policy.rules {
                    print("\(agency)/\(rule.systems.joined(separator: ",")): \(rule.queryTypes.map(\.rawValue).joined(separator: ",")) for "
                          + "\(rule.purposes.joined(separator: ",")) -> \(rule.fields.joined(separator: ","))"
                          + ((rule.cacheSeconds ?? 0) > 0 ? " (cache \(rule.cacheSeconds!) s)" : ""))
                }
            }
        default: print(help)
        }
    }

    /// Reads a policy file (one entry per agency, each agency once) and publishes it to `dagr.policy`.
    static func publishPolicies(file: URL, client: KafkaClientProperties, logger: Logger) async throws -> Int {
        let policies: [LookupPolicy]
        let data = try Data(contentsOf: file)
        do { policies = try JSONDecoder().decode([LookupPolicy].self, from: data) } catch {
            throw UsageError("\(file.path) is not a lookup policy file: \(error)")
        }
        guard Set(policies.map(\.agency)).count == policies.count else { throw UsageError("\(file.path) names an agency twice") }
        try await publish(policies, client: client, logger: logger)
        return policies.count
    }

    /// Writes each agency's policy to `dagr.policy`.
    static func publish(_ policies: [LookupPolicy], client: KafkaClientProperties, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(try policies.map {
            KafkaProducerRecord(topic: HubTopics.dagrPolicy.name, key: Array($0.agency.utf8), value: try RecordJSON.bytes($0))
        })
        await producer.close()
    }

    /// The lookup service and the change feed, both on the register at `url` (default `dagr.url`).
    static func makeServices(client: KafkaClientProperties, context: HubContext, url: String?, metrics: MetricsRegistry,
                             readiness: Readiness) throws -> [any HubService] {
        let configuration = context.configuration
        let key = configuration["dagr.key"]!
        let upstream = DAGRConnector(baseURL: url ?? configuration["dagr.url"]!, apiKey: key.isEmpty ? nil : key,
                                     connections: try configuration.integer("dagr.connections"))
        let poll = try configuration.integer("dagr.changes.poll.ms")
        guard poll >= 10 else { throw UsageError("dagr.changes.poll.ms must be at least 10") }
        return [
            LookupService(resolver: LookupResolver(upstream: upstream, secret: context.pseudonymSecret), client: client,
                          instance: configuration["hub.instance"]!, inFlight: try configuration.integer("dagr.inflight"), metrics: metrics,
                          readiness: readiness, logger: context.logger, hubVersion: VersionCommand.hubVersion, crashes: try configuration.crashJournal()),
            ChangeFeedService(source: upstream, pseudonymSecret: context.pseudonymSecret, client: client, instance: configuration["hub.instance"]!,
                              settings: .init(pollEvery: .milliseconds(poll)), metrics: metrics, readiness: readiness, logger: context.logger,
                              hubVersion: VersionCommand.hubVersion),
        ]
    }
}
