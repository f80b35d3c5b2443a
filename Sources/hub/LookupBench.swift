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

/// `hub bench lookup`: lookups through the bus (the Swift client, the
/// lookup service, the register emulator) beside the emulator's own ceiling
/// measured straight with curl in the same run, with as many calls in flight
/// as the service keeps towards the register (`dagr.connections`). First at
/// full load (4 x `dagr.inflight` callers, each waiting for its answer before
/// asking again), then open loop at half the rate the bus reached and at a
/// light 50/s, for the latency a caller sees.
enum LookupBench {
    struct Phase {
        let lookups: Int, seconds: Double
        let latencies: [Double]
        let found: Int
        var throughput: Double { Double(lookups) / seconds }
        var p50: Double { BenchCommand.percentile(latencies, 0.5) }
        var p99: Double { BenchCommand.percentile(latencies, 0.99) }
    }

    static func run(records: Int, json: Bool, context: HubContext) async throws {
        guard context.configuration.bootstrapServers == nil else {
            throw UsageError("bench lookup runs on its own local broker; unset kafka.bootstrap.servers")
        }
        let logger = Logger(component: "bench", threshold: .warning)
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        _ = try await TopicsCommand.apply(client: client, configuration: context.configuration, production: false, logger: logger)
        let connections = try context.configuration.integer("dagr.connections"), inFlight = try context.configuration.integer("dagr.inflight")
        // Many systems asking at once: as many callers as the service handles side by side, four times over.
        let callers = inFlight * 4
        let register = DAGRRegister()
        try register.start()
        defer { register.stop() }
        let persons = register.register.personCodes
        let tag = UUID().uuidString.prefix(8).lowercased()

        BenchCommand.status("ceiling: curl asking the register emulator straight \(records) times, \(connections) at a time")
        let ceilingSeconds = try ChannelBench.curl(records: records, inFlight: connections, tag: tag) { index in
            ["url = \"\(register.baseURL)/v1/persons?code=\(persons[index % persons.count])\""]
        }.seconds
        let ceiling = Double(records) / ceilingSeconds

        let agency = "BENCH" + tag.prefix(4).uppercased()
        try await LookupCommands.publish([LookupPolicy(agency: agency, rules: [
            .init(systems: ["bench"], queryTypes: [.personStatus], purposes: ["BENCH-1"], fields: ["status"]),
        ])], client: client, logger: logger)
        let metrics = MetricsRegistry(), readiness = Readiness()
        let service = LookupService(resolver: LookupResolver(upstream: DAGRConnector(baseURL: register.baseURL, connections: connections),
                                                             secret: context.pseudonymSecret),
                                    client: client, instance: "bench-\(tag)", groupID: "bench-lookup-\(tag)", inFlight: inFlight, metrics: metrics,
                                    readiness: readiness, logger: logger, hubVersion: VersionCommand.hubVersion, crashes: nil)
        let shutdown = ShutdownSignal()
        let running = Task { try await service.run(shutdown: shutdown) }
        while !readiness.isReady { try await Task.sleep(for: .milliseconds(50)) }
        let lookups = try await LookupClient(client: client, requester: Requester(agency: agency, system: "bench"))
        let ask: @Sendable (Int) async throws -> (Double, Bool) = { index in
            let start = ContinuousClock.now
            let reply = try await lookups.lookup(.personStatus, ["personCode": persons[index % persons.count]], purpose: "BENCH-1", timeout: .seconds(10))
            return ((ContinuousClock.now - start).inSeconds * 1000, reply.outcome == .found)
        }
        BenchCommand.status("warming up")
        _ = try await closedLoop(min(500, records), concurrency: inFlight, first: 0, ask)
        BenchCommand.status("full load: \(records) lookups through the bus, \(callers) callers each waiting for its answer")
        let full = try await closedLoop(records, concurrency: callers, first: 1_000, ask)
        let rate = full.throughput / 2
        let halfCount = max(200, min(records, Int(rate * 10)))
        BenchCommand.status("half load: \(halfCount) lookups at \(Int(rate))/s, open loop")
        let half = try await openLoop(halfCount, ratePerSecond: rate, first: 2_000 + records, ask)
        let lightRate = 50.0
        BenchCommand.status("light load: 500 lookups at \(Int(lightRate))/s, open loop")
        let light = try await openLoop(500, ratePerSecond: lightRate, first: 3_000 + records, ask)
        shutdown.trigger()
        try await running.value
        // The same half load through the bus alone: an echo answers each request at once, as a lookup service with
        // no work would (no policy, no register, no audit). What it measures no service can beat on this broker.
        BenchCommand.status("the bus alone: \(halfCount) requests at \(Int(rate))/s answered by an echo")
        let echoStop = ShutdownSignal()
        let echo = try await busEcho(client: client, logger: logger, until: echoStop)
        let bare = try await openLoop(halfCount, ratePerSecond: rate, first: 4_000 + records, ask)
        BenchCommand.status("the bus alone: \(records) requests, \(callers) callers, answered by an echo")
        let bareFull = try await closedLoop(records, concurrency: callers, first: 5_000 + 2 * records, ask)
        echoStop.trigger()
        try await echo.value
        await lookups.close()

        let peakMB = BenchCommand.peakMegabytes()
        let pad = BenchCommand.pad, format = BenchCommand.format
        print("")
        print("bench lookup: person.status through dagr.lookup.requests/replies, the lookup service and the register emulator, local Tansu")
        print(pad("", 50) + pad("lookups/s", 12) + pad("seconds", 10) + pad("p50 ms", 10) + pad("p99 ms", 10) + "found")
        print(pad("curl straight at the register (ceiling, \(connections) at once)", 50) + pad(format(ceiling, 0), 12)
              + pad(format(ceilingSeconds, 2), 10) + pad("-", 10) + pad("-", 10) + "-")
        for (name, phase) in [("through the bus, full load (\(callers) callers)", full), ("through the bus, half load (\(Int(rate))/s)", half),
                              ("through the bus, light load (\(Int(lightRate))/s)", light),
                              ("the bus alone, an echo, full load (\(callers) callers)", bareFull),
                              ("the bus alone, an echo, half load (\(Int(rate))/s)", bare)] {
            print(pad(name, 50) + pad(format(phase.throughput, 0), 12) + pad(format(phase.seconds, 2), 10) + pad(format(phase.p50, 2), 10)
                  + pad(format(phase.p99, 2), 10) + "\(phase.found) of \(phase.lookups)")
        }
        let ratio = format(full.throughput / ceiling, 2), halfP99 = format(half.p99, 2), peak = format(peakMB, 1)
        print("ratio \(ratio)x the register's own ceiling (goal: at least 0.5x); p99 at half load \(halfP99) ms (goal: under 20 ms); peak RSS \(peak) MB")
        print("latency: the caller's round trip, request published to reply read; the reply goes out at once, the audit commits with the request's offset")
        print("the bus alone: an echo reading dagr.lookup.requests and answering each request at once with the service's batching settings "
              + "(no policy, register or audit); no lookup service can beat it on this broker and machine")
        if json {
            let object: [String: Any] = [
                "bench": "lookup", "records": records, "seconds": BenchCommand.rounded(full.seconds, 3),
                "throughput": BenchCommand.rounded(full.throughput, 1), "baseline_throughput": BenchCommand.rounded(ceiling, 1),
                "ratio": BenchCommand.rounded(full.throughput / ceiling, 3), "p50_ms": BenchCommand.rounded(full.p50, 3),
                "p99_ms": BenchCommand.rounded(full.p99, 3), "half_load_rate": BenchCommand.rounded(rate, 1),
                "half_load_p50_ms": BenchCommand.rounded(half.p50, 3), "half_load_p99_ms": BenchCommand.rounded(half.p99, 3),
                "light_load_rate": lightRate, "light_load_p50_ms": BenchCommand.rounded(light.p50, 3), "light_load_p99_ms": BenchCommand.rounded(light.p99, 3),
                "callers": callers, "bus_echo_throughput": BenchCommand.rounded(bareFull.throughput, 1),
                "bus_echo_p99_ms": BenchCommand.rounded(bareFull.p99, 3), "bus_echo_half_load_p50_ms": BenchCommand.rounded(bare.p50, 3),
                "bus_echo_half_load_p99_ms": BenchCommand.rounded(bare.p99, 3),
                "found": full.found + half.found + light.found, "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// Answers every request on `dagr.lookup.requests` written from now on with `found`, straight away, with the lookup
    /// service's batching settings and nothing else: the round trip the bus itself costs. Reads by assignment (no group
    /// to join); runs until `stop`.
    static func busEcho(client: KafkaClientProperties, logger: Logger, until stop: ShutdownSignal) async throws -> Task<Void, any Error> {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "bench-echo-\(UUID().uuidString.prefix(8))")
        configuration.enableAutoCommit = false
        configuration.maxFetchWaitMilliseconds = LookupRoundTrip.maxFetchWaitMilliseconds
        let consumer = try await KafkaConsumer.fromEnds(of: [HubTopics.dagrLookupRequests.name], configuration: configuration, logger: logger)
        var producerConfiguration = KafkaProducerConfiguration(client: client)
        producerConfiguration.lingerMilliseconds = LookupRoundTrip.lingerMilliseconds
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        return Task {
            while !stop.isTriggered {
                for record in await consumer.nextBatch(max: 1_000, timeout: .milliseconds(50)) {
                    guard let value = record.value, let request = try? RecordJSON.decode(LookupRequest.self, from: Data(value)) else { continue }
                    let reply = LookupReply(correlationId: request.correlationId, outcome: .found, data: ["status": "alive"])
                    try await producer.enqueue(KafkaProducerRecord(topic: request.replyTopic, key: record.key, value: try RecordJSON.bytes(reply))) { _ in }
                }
            }
            await consumer.close()
            await producer.close()
        }
    }

    /// `count` lookups, `concurrency` waiting at once: each of `concurrency` callers asks its share one after another.
    static func closedLoop(_ count: Int, concurrency: Int, first: Int, _ ask: @escaping @Sendable (Int) async throws -> (Double, Bool)) async throws -> Phase {
        let start = ContinuousClock.now
        let callers = max(1, min(concurrency, count))
        let results = try await withThrowingTaskGroup(of: [(Double, Bool)].self) { group in
            for caller in 0 ..< callers {
                group.addTask {
                    var mine: [(Double, Bool)] = []
                    for index in stride(from: caller, to: count, by: callers) { mine.append(try await ask(first + index)) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return Phase(lookups: count, seconds: (ContinuousClock.now - start).inSeconds, latencies: results.map(\.0).sorted(),
                     found: results.filter(\.1).count)
    }

    /// `count` lookups started at `ratePerSecond` whatever the answers' pace (open loop).
    static func openLoop(_ count: Int, ratePerSecond: Double, first: Int, _ ask: @escaping @Sendable (Int) async throws -> (Double, Bool)) async throws -> Phase {
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (Double, Bool).self) { group in
            for index in 0 ..< count {
                let due = start + .milliseconds(Int(Double(index) / ratePerSecond * 1000))
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
                group.addTask { try await ask(first + index) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return Phase(lookups: count, seconds: (ContinuousClock.now - start).inSeconds, latencies: results.map(\.0).sorted(),
                     found: results.filter(\.1).count)
    }
}
