import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker

/// `hub bench passthrough`: consume -> produce through the Swift layer,
/// beside a `kcat -C | kcat -P` pipe on the same broker in the same run.
enum BenchCommand {
    static let help = """
    Usage: hub bench passthrough [--records N] [--partitions P] [--json]
           hub bench ingest [--records N] [--json]      status events through status-ingest (N/3 cases)
           hub bench dlq [--records N] [--json]         N dead letters indexed, listed and replayed (default 100000)
           hub bench fanout [--records N] [--json]      N notification requests through the fan-out (default 30000; own local broker)
           hub bench channels [--records N] [--channel eaddress|sms|email|push] [--json]
                                                        N notices per channel through its worker to the local gateway (default 10000)
           hub bench lookup [--records N] [--json]      N lookups through the bus to the register emulator (default 10000)
    Loads N status-event-sized JSON records, then moves them topic to topic with a kcat pipe
    (the baseline) and with the Swift layer. Starts the local broker unless Kafka is configured.
    With --json the last line is one JSON object: bench, records, seconds, throughput,
    baseline_throughput, ratio, p50_ms, p99_ms, peak_rss_mb.
    """

    static func run(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "records", "partitions", "channel"], switches: ["json"])
        if arguments.has("help") || !["passthrough", "ingest", "dlq", "fanout", "channels", "lookup"].contains(arguments.positionals.first ?? "") { print(help); return }
        let records = try arguments.integer("records", default: 200_000)
        let partitions = Int32(try arguments.integer("partitions", default: 3))
        let context = try HubContext(arguments: arguments)
        let logger = Logger(component: "bench", threshold: .warning)
        guard let kcat = ["/usr/bin/kcat", "/usr/local/bin/kcat"].first(where: FileManager.default.isExecutableFile) else {
            throw UsageError("kcat is not installed: run 'make setup'")
        }
        if arguments.positionals.first == "ingest" {
            try await IngestBench.run(records: try arguments.integer("records", default: 60_000), json: arguments.has("json"), context: context, kcat: kcat)
            return
        }
        if arguments.positionals.first == "channels" {
            let channels = arguments.value("channel").map { [$0] } ?? ["eaddress", "sms", "email", "push"]
            guard channels.allSatisfy(["eaddress", "sms", "email", "push"].contains) else { throw UsageError("--channel is eaddress, sms, email or push") }
            try await ChannelBench.run(records: try arguments.integer("records", default: 10_000), channels: channels, json: arguments.has("json"), context: context)
            return
        }
        if arguments.positionals.first == "lookup" {
            try await LookupBench.run(records: try arguments.integer("records", default: 10_000), json: arguments.has("json"), context: context)
            return
        }
        if arguments.positionals.first == "fanout" {
            try await FanOutBench.run(records: try arguments.integer("records", default: 30_000), json: arguments.has("json"), context: context, kcat: kcat)
            return
        }
        if arguments.positionals.first == "dlq" {
            try await DeadLetterBench.run(records: try arguments.integer("records", default: 100_000), json: arguments.has("json"), context: context, kcat: kcat)
            return
        }
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        let bootstrap = client["bootstrap.servers"]!
        let tag = UUID().uuidString.prefix(8).lowercased()
        let input = "bench.in.\(tag)", swiftOut = "bench.out.\(tag)", kcatOut = "bench.kcat.\(tag)"
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try await admin.createTopics([input, swiftOut, kcatOut].map { KafkaTopicSpecification(name: $0, partitions: partitions) })
        await admin.close()

        status("loading \(records) records into \(input)")
        let loader = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        for start in stride(from: 0, to: records, by: 20_000) {
            let chunk = (start..<min(records, start + 20_000)).map { index in
                KafkaProducerRecord(topic: input, key: "VID/case-\(index % 5_000)", value: sampleEvent(index),
                                    headers: [KafkaHeader(key: "hub-event-id", string: UUID().uuidString)])
            }
            _ = try await loader.sendAll(chunk)
        }
        await loader.close()

        let (baselineSeconds, baselineExit) = try await kcatBaseline(kcat: kcat, client: client, bootstrap: bootstrap, topic: input, to: kcatOut,
                                                                     records: records, logger: logger)
        var childUsage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &childUsage)

        status("swift layer: KafkaConsumer -> KafkaProducer")
        let result = try await passthrough(client: client, from: input, to: swiftOut, records: records, logger: logger)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)

        let throughput = Double(records) / result.seconds
        let baseline = Double(records) / baselineSeconds
        let peakMB = Double(usage.ru_maxrss) / 1024
        let latencies = result.latencies.sorted()
        let p50 = percentile(latencies, 0.50), p99 = percentile(latencies, 0.99)
        print("")
        print("bench passthrough: \(records) records, \(partitions) partitions, broker \(broker == nil ? bootstrap : "local Tansu")")
        print(pad("", 34) + pad("records/s", 12) + pad("seconds", 10) + pad("p50 ms", 9) + pad("p99 ms", 9) + "peak RSS MB")
        print(pad("kcat -C | kcat -P (baseline)", 34) + pad(format(baseline, 0), 12) + pad(format(baselineSeconds, 2), 10)
              + pad("-", 9) + pad("-", 9) + format(Double(childUsage.ru_maxrss) / 1024, 1))
        print(pad("swift layer consume -> produce", 34) + pad(format(throughput, 0), 12) + pad(format(result.seconds, 2), 10)
              + pad(format(p50, 2), 9) + pad(format(p99, 2), 9) + format(peakMB, 1))
        print("ratio \(format(throughput / baseline, 2))x the kcat pipe (goal: at least 0.8x); " + baselineNote(exitSeconds: baselineExit))
        print("latency: from a record handed to the application to its output acknowledged by the broker")
        if arguments.has("json") {
            let object: [String: Any] = [
                "bench": "passthrough", "records": records, "seconds": rounded(result.seconds, 3),
                "throughput": rounded(throughput, 1), "baseline_throughput": rounded(baseline, 1), "baseline_exit_seconds": rounded(baselineExit, 3),
                "ratio": rounded(throughput / baseline, 3), "p50_ms": rounded(p50, 3), "p99_ms": rounded(p99, 3),
                "peak_rss_mb": rounded(peakMB, 1),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    struct PassthroughResult {
        let seconds: Double
        let latencies: [Double]
    }

    /// Batches in, outputs sent without waiting, up to `window` batches in
    /// flight; a batch's offsets are stored once all its outputs are acknowledged.
    static func passthrough(client: KafkaClientProperties, from: String, to: String, records: Int,
                            logger: Logger) async throws -> PassthroughResult {
        var consumerConfiguration = KafkaConsumerConfiguration(client: client, groupID: "bench-\(UUID().uuidString.prefix(8))")
        consumerConfiguration.sessionTimeoutMilliseconds = 6_000
        consumerConfiguration.bufferCapacity = 50_000
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, subscription: .topics([from]), logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        // Time starts at the first record, as the kcat pipe's does after its connect.
        var first = await consumer.nextBatch(max: 5_000)
        let start = ContinuousClock.now
        var done = 0
        var latencies: [Double] = []
        latencies.reserveCapacity(records)
        let window = 8
        var inFlight: [Task<(Int, Double), any Error>] = []
        var taken = 0
        while done < records {
            let batch = first.isEmpty ? await consumer.nextBatch(max: 5_000) : first
            first = []
            if batch.isEmpty { break }
            taken += batch.count
            let handedOut = ContinuousClock.now
            let outputs = batch.map { KafkaProducerRecord(topic: to, key: $0.key, value: $0.value, headers: $0.headers) }
            inFlight.append(Task {
                _ = try await producer.sendAll(outputs)
                try consumer.store(batch)
                return (batch.count, (ContinuousClock.now - handedOut).inSeconds * 1000)
            })
            while inFlight.count >= window || (taken >= records && !inFlight.isEmpty) {
                let (count, latency) = try await inFlight.removeFirst().value
                done += count
                latencies.append(contentsOf: repeatElement(latency, count: count))
            }
        }
        let elapsed = (ContinuousClock.now - start).inSeconds
        await consumer.close()
        await producer.close()
        return PassthroughResult(seconds: elapsed, latencies: latencies)
    }

    static func sampleEvent(_ index: Int) -> String {
        #"{"eventId":"\#(UUID.random().lowercasedString)","caseId":"case-\#(index % 5_000)","agency":"VID","serviceId":"VID-EDS-001","channel":"eservice","status":"in_progress","occurredAt":"2025-03-01T10:00:00+02:00"}"#
    }

    /// How many times the kcat pipe runs; the fastest run is the baseline. On the local broker some runs
    /// also stall for about a second with records still to write (about one run in three; `kcat -C`'s
    /// last block of buffered output reaches `kcat -P` only as it exits, and its exit waits as said
    /// below), so two were not enough. Unbuffered output (`-u`) avoided that but slowed every run
    /// (about 240,000 records/s against 430,000-550,000) and some still stalled.
    static let kcatRuns = 3

    /// What the benches print after their ratio about the baseline.
    static func baselineNote(exitSeconds: Double) -> String {
        "baseline is the fastest of \(kcatRuns) kcat runs, timed until its records were written (kcat itself exited after \(format(exitSeconds, 2)) s)"
    }

    /// The kcat pipe over the first `records` of `topic`, `kcatRuns` times; the fastest run (the baseline of every bench).
    /// Each run is timed from the pipe's start until all `records` are readable in `output` (its end
    /// offsets, asked every 5 ms), as the services are timed until their last commit: not until kcat
    /// exits. On the local broker kcat's exit often waits about a second more for a fetch the broker
    /// is still holding, with every record already written; that second had made the baseline read
    /// anywhere from 50,000 to 320,000 records/s over the same records. `exitSeconds` says when the
    /// fastest run's processes ended.
    static func kcatBaseline(kcat: String, client: KafkaClientProperties, bootstrap: String, topic: String, to output: String, records: Int,
                             logger: Logger) async throws -> (seconds: Double, exitSeconds: Double) {
        let admin = try KafkaAdmin(client: client, logger: logger)
        let partitions = try await admin.partitions(of: [output])
        await admin.close()
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "bench-baseline-\(UUID().uuidString.prefix(8))")
        configuration.enableAutoCommit = false
        let probe = try KafkaConsumer(configuration: configuration, subscription: .partitionsFromStart([]), logger: logger)
        func written() async throws -> Int64 { try await probe.watermarks(partitions).values.reduce(0) { $0 + $1.high } }
        var best: (seconds: Double, exitSeconds: Double) = (.infinity, .infinity)
        do {
            for run in 1 ... kcatRuns {
                status("baseline \(run)/\(kcatRuns): kcat -C | kcat -P over the same records")
                let target = try await written() + Int64(records)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "'\(kcat)' -C -b \(bootstrap) -t \(topic) -o beginning -c \(records) -e -q | '\(kcat)' -P -b \(bootstrap) -t \(output)"]
                let start = ContinuousClock.now
                try process.runWithSignalsUnblocked()
                while try await written() < target, process.isRunning {
                    if ContinuousClock.now > start + .seconds(600) {
                        process.terminate()
                        throw UsageError("the kcat pipe did not move \(records) records in 10 minutes")
                    }
                    try await Task.sleep(for: .milliseconds(5))
                }
                let seconds = (ContinuousClock.now - start).inSeconds
                while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
                guard process.terminationStatus == 0 else { throw UsageError("the kcat pipe failed (exit \(process.terminationStatus))") }
                if seconds < best.seconds { best = (seconds, (ContinuousClock.now - start).inSeconds) }
            }
        } catch {
            await probe.close()
            throw error
        }
        await probe.close()
        return best
    }

    /// What `drain` measured: the seconds from the service's assignment until `records` were committed, the
    /// records committed by then, the still running service, and the CPU seconds this process and the local
    /// broker (when its process id was given) used in that span.
    struct Drained {
        let seconds: Double
        let committed: Int
        let running: Task<Void, any Error>
        let processCPU: Double
        let brokerCPU: Double?
        /// This process's context switches meanwhile.
        var switches = 0

        /// CPU per committed record, in µs: this process's, and the broker's when it was measured.
        var microsPerRecord: (process: Double, broker: Double?) {
            let count = Double(max(1, committed))
            return (processCPU * 1_000_000 / count, brokerCPU.map { $0 * 1_000_000 / count })
        }

        /// `microsPerRecord` for a bench's `--json`: `hub` and `broker` (null when not measured).
        var microsPerRecordJSON: [String: Any] {
            let (process, broker) = microsPerRecord
            return ["hub": BenchCommand.rounded(process, 1), "broker": broker.map { BenchCommand.rounded($0, 1) as Any } ?? NSNull()]
        }

        /// Records/s at which this run's CPU per record would keep every core of the machine busy: the broker's
        /// alone (what no service doing this work through this broker can pass here, however little it costs
        /// itself), and the broker's with the hub's (this implementation's CPU-bound rate). Nil without the broker's.
        var cpuBounds: (brokerAlone: Double, hubAndBroker: Double)? {
            let (process, broker) = microsPerRecord
            guard let broker, broker > 0 else { return nil }
            let cores = Double(ProcessInfo.processInfo.activeProcessorCount) * 1_000_000
            return (cores / broker, cores / (broker + process))
        }

        /// `cpuBounds` as a line beside a baseline (records/s), and for `--json` (`cpu_bound_throughput`).
        func cpuBoundsLine(unit: String, baseline: Double) -> String? {
            guard let bounds = cpuBounds else { return nil }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            return "CPU bounds on these \(cores) cores: the broker's work alone would fill them at \(BenchCommand.format(bounds.brokerAlone, 0)) \(unit)/s "
                + "(\(BenchCommand.format(bounds.brokerAlone / baseline, 2))x the kcat pipe); the broker's and the hub's together at "
                + "\(BenchCommand.format(bounds.hubAndBroker, 0))/s (\(BenchCommand.format(bounds.hubAndBroker / baseline, 2))x)"
        }

        var cpuBoundsJSON: Any {
            guard let bounds = cpuBounds else { return NSNull() }
            return ["broker_alone": BenchCommand.rounded(bounds.brokerAlone, 0), "hub_and_broker": BenchCommand.rounded(bounds.hubAndBroker, 0),
                    "cores": ProcessInfo.processInfo.activeProcessorCount]
        }
    }

    /// Runs `service` until it has committed `records` input records (`hub_records_in_total` of `stage`), timed from
    /// its partition assignment (or first commit; at most 10 minutes), with the CPU used meanwhile.
    static func drain(_ service: any HubService, stage: String, records: Int, metrics: MetricsRegistry, readiness: Readiness,
                      shutdown: ShutdownSignal, broker: pid_t? = nil) async throws -> Drained {
        status("\(stage) draining them")
        let running = Task { try await service.run(shutdown: shutdown) }
        func committed() -> Int { Int(metrics.value("hub_records_in_total", labels: ["stage": stage]) ?? 0) }
        while !readiness.isReady && committed() == 0 { try await Task.sleep(for: .milliseconds(5)) }
        status("\(stage) ready: timing from here")
        let start = ContinuousClock.now
        let (ownAtStart, brokerAtStart, switchesAtStart) = (CPUTime.own, broker.flatMap(CPUTime.of), CPUTime.switches)
        while committed() < records, ContinuousClock.now < start + .seconds(600) { try await Task.sleep(for: .milliseconds(5)) }
        let seconds = (ContinuousClock.now - start).inSeconds
        let (ownAtEnd, brokerAtEnd) = (CPUTime.own, broker.flatMap(CPUTime.of))
        var drained = Drained(seconds: seconds, committed: committed(), running: running, processCPU: ownAtEnd - ownAtStart,
                              brokerCPU: brokerAtEnd.flatMap { end in brokerAtStart.map { end - $0 } })
        drained.switches = CPUTime.switches - switchesAtStart
        return drained
    }

    /// A consumer of `topics` from their end, already assigned: what a latency phase reads its outputs with.
    static func latencyReader(client: KafkaClientProperties, topics: [String], tag: String, logger: Logger) async throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "bench-reader-\(tag)")
        configuration.startFromEarliest = false
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.enableAutoCommit = false
        configuration.revokeGraceMilliseconds = 0
        let reader = try KafkaConsumer(configuration: configuration, subscription: .topics(topics), logger: logger)
        while reader.assignment.isEmpty { _ = await reader.nextBatch(max: 10_000, timeout: .milliseconds(200)) }
        _ = await reader.nextBatch(max: 100_000, timeout: .milliseconds(500))
        return reader
    }

    /// Publishes `count` records made by `make` at `rate` per second, in chunks every 10 ms.
    static func publishPaced(count: Int, rate: Double, producer: KafkaProducer,
                             make: @escaping @Sendable (Range<Int>) throws -> [KafkaProducerRecord]) -> Task<Void, any Error> {
        Task {
            let chunk = max(1, Int(rate / 100))
            let paceStart = ContinuousClock.now
            for (round, from) in stride(from: 0, to: count, by: chunk).enumerated() {
                try await Task.sleep(until: paceStart + .milliseconds(10 * round), clock: .continuous)
                _ = try await producer.sendAll(try make(from ..< min(count, from + chunk)))
            }
        }
    }

    /// Peak resident memory of this process so far, in MB.
    static func peakMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func runShell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.runWithSignalsUnblocked()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw UsageError("baseline command failed: \(command)") }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    static func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
    static func rounded(_ value: Double, _ decimals: Int) -> Double {
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }
    static func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0) }
    static func status(_ message: String) { FileHandle.standardError.write(Data("[bench] \(message)\n".utf8)) }
}
