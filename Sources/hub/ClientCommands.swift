import Foundation
import HubLogging
import HubRuntime
import Kafka

/// `hub produce` and `hub consume`: quick manual checks against a running hub.
enum ClientCommands {
    static let produceHelp = """
    Usage: hub produce TOPIC [VALUE] [--key KEY] [--header NAME=VALUE]...
    Sends VALUE, or each line of standard input, and prints where the broker stored it.
    """

    static func produce(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "key", "header"], switches: [])
        if arguments.has("help") { print(produceHelp); return }
        guard let topic = arguments.positionals.first else { throw UsageError("produce needs a TOPIC\n\(produceHelp)") }
        let context = try HubContext(arguments: arguments)
        let headers = try arguments.values("header").map { pair -> KafkaHeader in
            guard let equals = pair.firstIndex(of: "=") else { throw UsageError("--header takes NAME=VALUE") }
            return KafkaHeader(key: String(pair[..<equals]), string: String(pair[pair.index(after: equals)...]))
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try context.requireKafka()),
                                         logger: context.logger)
        var values: [String] = []
        if arguments.positionals.count > 1 { values = [arguments.positionals[1]] } else {
            while let line = readLine() { values.append(line) }
        }
        let records = values.map { KafkaProducerRecord(topic: topic, key: arguments.value("key"), value: $0, headers: headers) }
        let reports = try await producer.sendAll(records)
        await producer.close()
        for report in reports { print("\(report.topic)[\(report.partition)]@\(report.offset)") }
    }

    static let consumeHelp = """
    Usage: hub consume TOPIC [--group G] [--count N] [--timeout SECONDS] [--from-beginning]
    Prints each record as partition, offset, key, headers and value. Without --group a throw-away
    group reads from the start (or the end, without --from-beginning) and commits nothing.
    """

    static func consume(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "group", "count", "timeout"], switches: ["from-beginning"])
        if arguments.has("help") { print(consumeHelp); return }
        guard let topic = arguments.positionals.first else { throw UsageError("consume needs a TOPIC\n\(consumeHelp)") }
        let context = try HubContext(arguments: arguments)
        let count = try arguments.integer("count", default: Int.max)
        let timeout = try arguments.integer("timeout", default: 0)
        var configuration = KafkaConsumerConfiguration(client: try context.requireKafka(),
                                                       groupID: arguments.value("group") ?? "hub-consume-\(UUID().uuidString.prefix(8))")
        configuration.enableAutoCommit = arguments.value("group") != nil
        configuration.startFromEarliest = arguments.has("from-beginning") || arguments.value("group") == nil
        configuration.sessionTimeoutMilliseconds = 6_000
        // The records go to stdout; the consumer's assignment and revocation lines would only crowd stderr.
        let consumer = try KafkaConsumer(configuration: configuration, subscription: .topics([topic]), logger: context.logger.atLeast(.warning))
        if timeout > 0 {
            Task {
                try? await Task.sleep(nanoseconds: UInt64(timeout) * 1_000_000_000)
                consumer.stopFetching()
            }
        }
        let stop = ShutdownSignal()
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.trigger(); consumer.stopFetching() }
            source.resume()
            return source
        }
        var seen = 0
        while seen < count, let record = await consumer.next() {
            let headers = record.headers.map { "\($0.key)=\($0.stringValue ?? "<binary>")" }.joined(separator: " ")
            print("\(record.topic)[\(record.partition)]@\(record.offset) key=\(record.keyString ?? "<null>") \(headers)")
            print("  \(record.valueString ?? "<null or binary>")")
            try? consumer.store(record)
            seen += 1
        }
        signals.forEach { $0.cancel() }
        await consumer.close()
    }

    static let relayHelp = """
    Usage: hub relay --from TOPIC --to TOPIC [--group G] [--batch N] [--http-port P]
    Copies records (key, value, headers, timestamp) in Kafka transactions with the input offsets:
    stopped with SIGTERM or Ctrl-C it finishes the batch in hand, commits and exits 0.
    """

    static func relay(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "from", "to", "group", "batch", "http-port"], switches: [])
        if arguments.has("help") { print(relayHelp); return }
        guard let from = arguments.value("from"), let to = arguments.value("to") else { throw UsageError("relay needs --from and --to\n\(relayHelp)") }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        let group = arguments.value("group") ?? "hub-relay-\(from)-\(to)"
        let metrics = MetricsRegistry()
        let readiness = Readiness()
        let stage = TransactionalStage(
            name: "relay", client: client, groupID: group,
            transactionalID: "\(context.configuration["hub.instance"]!)-relay-\(from)-\(to)",
            subscription: .topics([from]), batchSize: try arguments.integer("batch", default: 500),
            metrics: metrics, readiness: readiness, logger: context.logger
        ) { record in
            [KafkaProducerRecord(topic: to, key: record.key, value: record.value, headers: record.headers,
                                 timestampMilliseconds: record.timestampMilliseconds)]
        }
        var services: [any HubService] = [stage]
        if let port = arguments.value("http-port").flatMap(Int.init) {
            let ops = OpsHTTPService(host: context.configuration["http.host"]!, port: port, metrics: metrics, readiness: readiness)
            try ops.bind()
            services.insert(ops, at: 0)
        }
        try await ServiceGroup(services: services, logger: context.logger).run()
    }
}
