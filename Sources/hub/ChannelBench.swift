import ChannelDelivery
import ChannelWorker
import EAddressConnector
import EmailConnector
import PushConnector
import Foundation
import HTTPServer
import HubLogging
import HubRuntime
import Kafka
import Sandboxes
import SMSConnector
import Locking
import Topics

/// `hub bench channels`: N notices per channel through the channel worker to
/// the local gateway (e-address: the mailbox emulator; SMS: Kannel with
/// fakesmsc; e-mail: aiosmtpd writing a maildir; push: the push gateway
/// emulator), beside the gateway's own ceiling measured in the same run: the
/// highest of curl sending the same requests straight at it, wrk doing so
/// (the HTTP emulators: push and e-address; `WrkCeiling`) and the connector
/// itself sending the same notices straight at it (no Kafka, no worker),
/// each with as many requests in flight as the worker keeps
/// (`channel.inflight`). Notices go to distinct recipients, as a day's
/// traffic does.
enum ChannelBench {
    /// Times each gateway call of the connector it wraps.
    final class TimedConnector: ChannelConnector {
        let inner: any ChannelConnector
        let latencies = PosixMutex<[Double]>([])
        init(_ inner: any ChannelConnector) { self.inner = inner }
        var channel: NotifyChannel { inner.channel }
        var canConfirm: Bool { inner.canConfirm }
        var confirmsByCallback: Bool { inner.confirmsByCallback }
        func send(_ notice: Notice) async -> GatewayOutcome {
            let start = ContinuousClock.now
            let outcome = await inner.send(notice)
            let milliseconds = (ContinuousClock.now - start).inSeconds * 1000
            latencies.withLock { $0.append(milliseconds) }
            return outcome
        }
        func status(of notificationId: UUID) async -> GatewayOutcome? { await inner.status(of: notificationId) }
        var statusBatchLimit: Int { inner.statusBatchLimit }
        func statuses(of notificationIds: [UUID]) async -> [UUID: GatewayOutcome] { await inner.statuses(of: notificationIds) }
    }

    /// What `drive` measured: the seconds until every notice was committed, the seconds until `settled` held (when it
    /// waited for more), and meanwhile this process's and the broker's CPU seconds and this process's context switches.
    typealias Driven = (seconds: Double, settled: Double?, processCPU: Double, brokerCPU: Double?, switches: Int)

    /// Answers every send at once as delivered, calling no gateway: the worker driven with it shows what the
    /// worker itself (reading, receipts, commits) and the broker cost a notice, apart from the gateway call.
    struct InstantConnector: ChannelConnector {
        let channel: NotifyChannel
        let canConfirm = false
        func send(_ notice: Notice) async -> GatewayOutcome { .delivered(reference: "instant-\(notice.notificationId.lowercasedString)", at: Date()) }
        func status(of notificationId: UUID) async -> GatewayOutcome? { nil }
    }

    struct Row {
        let channel: String
        /// The gateway's ceiling the ratio is taken against: the highest of curl's, wrk's and the connector's straight.
        var ceiling: Double { max(curlCeiling, connectorCeiling ?? 0, wrk?.throughput ?? 0) }
        /// Which of them that is.
        var ceilingBy: String {
            if let wrk, wrk.throughput >= max(curlCeiling, connectorCeiling ?? 0) { return "wrk" }
            return (connectorCeiling ?? 0) > curlCeiling ? "connector straight" : "curl"
        }
        /// wrk straight at the gateway (the HTTP emulators), when wrk is installed.
        var wrk: WrkCeiling.Measured?
        /// CPU per request in µs while wrk ran: wrk's, and this process's (the gateway's).
        var wrkCPU: (wrk: Double, gateway: Double)? {
            wrk.map { ($0.wrkCPU * 1_000_000 / Double($0.requests), $0.processCPU * 1_000_000 / Double($0.requests)) }
        }
        let records: Int
        let curlCeiling: Double, ceilingSeconds: Double
        /// The connector driven straight at the gateway (no Kafka, no worker): its seconds, and this process's CPU seconds meanwhile.
        var straight: (seconds: Double, processCPU: Double, switches: Int)?
        var connectorCeiling: Double? { straight.map { Double(records) / $0.seconds } }
        /// This process's CPU per notice while the connector ran straight (the gateway's share included where it is in-process).
        var connectorCPU: Double? { straight.map { $0.processCPU * 1_000_000 / Double(records) } }
        let throughput: Double, seconds: Double
        let p50: Double, p99: Double
        let arrived: Int
        let confirmedSeconds: Double?
        /// CPU per notice in microseconds, where the gateway is an emulator in this process (so its share is counted):
        /// the ceiling's curl and gateway; the worker's phase, this process (worker and gateway) and the broker.
        var cpu: (curl: Double, ceilingProcess: Double, process: Double, broker: Double)?
        /// The worker with the gateway call left out (`InstantConnector`): notices/s, and CPU per notice in µs of this process and the broker.
        var alone: (throughput: Double, process: Double, broker: Double)?
        /// The ratio to the ceiling the cores allow when everything is CPU-bound: the notices a second the cores the
        /// connector straight kept busy give when each notice costs the connector straight's CPU plus the worker's own and
        /// the broker's (from the phase without the gateway call), over the ceiling.
        var cpuBoundRatio: Double? {
            guard let alone, let connector = connectorCPU, let straight = connectorCeiling else { return nil }
            return straight * connector / (connector + alone.process + alone.broker) / ceiling
        }
        /// How many cores each phase kept busy (CPU per notice times notices a second): curl's and wrk's ceilings (the
        /// client and the gateway), the connector straight (connector and gateway) and the worker's phase (worker, gateway and broker).
        /// A ceiling near the machine's cores is CPU-bound: the worker's ratio to it is then bounded by the CPU it adds.
        var coresBusy: (curl: Double, wrk: Double?, straight: Double?, worker: Double)? {
            guard let cpu else { return nil }
            return ((cpu.curl + cpu.ceilingProcess) * curlCeiling / 1_000_000,
                    wrk.map { ($0.wrkCPU + $0.processCPU) / $0.seconds },
                    connectorCPU.flatMap { cpu in connectorCeiling.map { cpu * $0 / 1_000_000 } },
                    (cpu.process + cpu.broker) * throughput / 1_000_000)
        }
        /// This process's context switches per notice: the connector straight, and the worker's phase.
        var switches: (straight: Double, worker: Double)?
        /// The largest round of confirmation checks the e-address worker made: how many notices, how long it took.
        var largestConfirmationRound: (notices: Double, seconds: Double)?
        /// The worker's `prepared` (notices in hand with their `sending` receipt written).
        var prepared = 0

        init(channel: String, records: Int, ceilingSeconds: Double, seconds: Double, connector: TimedConnector, arrived: Int, confirmedSeconds: Double?) {
            let latencies = connector.latencies.withLock { $0 }.sorted()
            self.channel = channel
            self.records = records
            (curlCeiling, self.ceilingSeconds) = (Double(records) / ceilingSeconds, ceilingSeconds)
            (throughput, self.seconds) = (Double(records) / seconds, seconds)
            (p50, p99) = (BenchCommand.percentile(latencies, 0.5), BenchCommand.percentile(latencies, 0.99))
            self.arrived = arrived
            self.confirmedSeconds = confirmedSeconds
        }
    }

    static func run(records: Int, channels: [String], json: Bool, context: HubContext) async throws {
        guard context.configuration.bootstrapServers == nil else {
            throw UsageError("bench channels writes to notify.<channel>: it runs on its own local broker; unset kafka.bootstrap.servers")
        }
        let logger = Logger(component: "bench", threshold: .warning)
        let (client, broker) = try context.kafkaOrLocalBroker()
        defer { broker?.stop() }
        _ = try await TopicsCommand.apply(client: client, configuration: context.configuration, production: false, logger: logger)
        let inFlight = try context.configuration.integer("channel.inflight")
        /// Each worker's `prepared`, as `hub up` would give it.
        func prepared(_ channel: NotifyChannel) throws -> Int { try context.configuration.integer(ChannelCommands.preparedKey(channel)) }
        var rows: [Row] = []
        if channels.contains("eaddress") {
            rows.append(try await eaddress(records: records, inFlight: inFlight, prepared: try prepared(.eaddress), client: client, logger: logger, broker: broker?.processID))
        }
        if channels.contains("sms") {
            guard KannelSandbox.isInstalled else { throw UsageError("Kannel is not installed: run 'make setup'") }
            rows.append(try await sms(records: records, inFlight: inFlight, prepared: try prepared(.sms), client: client, logger: logger))
        }
        if channels.contains("email") {
            guard SMTPSandbox.isInstalled else { throw UsageError("aiosmtpd is not installed: run 'make setup'") }
            rows.append(try await email(records: records, inFlight: inFlight, prepared: try prepared(.email), client: client, logger: logger))
        }
        if channels.contains("push") {
            rows.append(try await push(records: records, inFlight: inFlight, prepared: try prepared(.push), client: client, logger: logger, broker: broker?.processID))
        }
        let peakMB = BenchCommand.peakMegabytes()
        let pad = BenchCommand.pad, format = BenchCommand.format
        print("")
        print("bench channels: \(records) notices per channel to distinct recipients, \(inFlight) in flight, local Tansu")
        print(pad("", 46) + pad("notices/s", 12) + pad("seconds", 10) + pad("p50 ms", 10) + pad("p99 ms", 10) + "arrived")
        for row in rows {
            print(pad("\(row.channel): curl straight at the gateway (ceiling)", 46) + pad(format(row.curlCeiling, 0), 12)
                  + pad(format(row.ceilingSeconds, 2), 10) + pad("-", 10) + pad("-", 10) + "-")
            if let wrk = row.wrk {
                print(pad("\(row.channel): wrk straight at the gateway (ceiling)", 46) + pad(format(wrk.throughput, 0), 12)
                      + pad(format(wrk.seconds, 2), 10) + pad("-", 10) + pad("-", 10) + "-")
            }
            if let direct = row.connectorCeiling, let seconds = row.straight?.seconds {
                print(pad("\(row.channel): connector straight, no Kafka (ceiling)", 46) + pad(format(direct, 0), 12)
                      + pad(format(seconds, 2), 10) + pad("-", 10) + pad("-", 10) + "-")
            }
            print(pad("\(row.channel): worker, \(row.prepared) prepared", 46) + pad(format(row.throughput, 0), 12) + pad(format(row.seconds, 2), 10)
                  + pad(format(row.p50, 2), 10) + pad(format(row.p99, 2), 10) + "\(row.arrived) of \(records)")
            print("  ratio \(format(row.throughput / row.ceiling, 2))x the gateway's own ceiling (\(row.ceilingBy)'s; goal: at least 0.7x)"
                  + (row.confirmedSeconds.map { "; every delivery confirmed (\(row.channel == "sms" ? "Kannel's reports" : "asked of the gateway")) after \(format($0, 2)) s" } ?? ""))
            if let round = row.largestConfirmationRound {
                print("  largest round of confirmation checks: \(format(round.notices, 0)) notices in \(format(round.seconds, 2)) s")
            }
            if let cpu = row.cpu {
                print("  CPU per notice: ceiling \(format(cpu.curl + cpu.ceilingProcess, 0)) µs (curl \(format(cpu.curl, 0)), gateway \(format(cpu.ceilingProcess, 0))); "
                      + "worker's phase \(format(cpu.process + cpu.broker, 0)) µs (worker and gateway \(format(cpu.process, 0)), broker \(format(cpu.broker, 0)))"
                      + (row.connectorCPU.map { "; connector straight \(format($0, 0)) µs (connector and gateway)" } ?? "")
                      + (row.wrkCPU.map { "; wrk's ceiling \(format($0.wrk + $0.gateway, 0)) µs (wrk \(format($0.wrk, 0)), gateway \(format($0.gateway, 0)))" } ?? ""))
            }
            if let busy = row.coresBusy {
                print("  cores busy (of \(ProcessInfo.processInfo.activeProcessorCount)): curl's ceiling \(format(busy.curl, 2))"
                      + (busy.wrk.map { ", wrk's ceiling \(format($0, 2))" } ?? "")
                      + (busy.straight.map { ", connector straight \(format($0, 2))" } ?? "") + ", worker's phase \(format(busy.worker, 2))")
            }
            if let alone = row.alone {
                print("  worker with the gateway call left out: \(format(alone.throughput, 0)) notices/s, CPU per notice: worker \(format(alone.process, 0)) µs, broker \(format(alone.broker, 0)) µs"
                      + (row.cpuBoundRatio.map { "; the cores allow \(format($0, 2))x (the connector straight's cores at its CPU per notice plus these)" } ?? ""))
            }
            if let switches = row.switches {
                print("  context switches per notice in this process: connector straight \(format(switches.straight, 1)), worker's phase \(format(switches.worker, 1))")
            }
        }
        print("latency: the worker's call to its connector, p50/p99 over every send, the wait for one of the \(inFlight) connections included; peak RSS \(format(peakMB, 1)) MB")
        if json {
            let object: [String: Any] = [
                "bench": "channels", "records": records, "in_flight": inFlight, "peak_rss_mb": BenchCommand.rounded(peakMB, 1),
                "channels": rows.map(jsonObject),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// One row of `--json`, its optional parts present where they were measured.
    static func jsonObject(_ row: Row) -> [String: Any] {
        let round = BenchCommand.rounded
        var object: [String: Any] = [
            "channel": row.channel, "seconds": round(row.seconds, 3), "throughput": round(row.throughput, 1),
            "baseline_throughput": round(row.ceiling, 1), "ratio": round(row.throughput / row.ceiling, 3),
            "p50_ms": round(row.p50, 3), "p99_ms": round(row.p99, 3), "arrived": row.arrived, "curl_ceiling": round(row.curlCeiling, 1),
            "prepared": row.prepared, "ceiling_by": row.ceilingBy,
        ]
        if let ceiling = row.connectorCeiling { object["connector_ceiling"] = round(ceiling, 1) }
        if let wrk = row.wrk { object["wrk_ceiling"] = round(wrk.throughput, 1) }
        if let seconds = row.confirmedSeconds { object["confirmed_seconds"] = round(seconds, 3) }
        if let rounds = row.largestConfirmationRound {
            object["confirmation_round"] = ["notices": Int(rounds.notices), "seconds": round(rounds.seconds, 3)] as [String: Any]
        }
        if let cpu = row.cpu {
            var perNotice: [String: Any] = ["ceiling_curl": round(cpu.curl, 1), "ceiling_gateway": round(cpu.ceilingProcess, 1),
                                            "worker_and_gateway": round(cpu.process, 1), "broker": round(cpu.broker, 1),
                                            "connector_straight": round(row.connectorCPU ?? 0, 1)]
            if let wrk = row.wrkCPU { (perNotice["ceiling_wrk"], perNotice["ceiling_wrk_gateway"]) = (round(wrk.wrk, 1), round(wrk.gateway, 1)) }
            object["cpu_us_per_notice"] = perNotice
        }
        if let busy = row.coresBusy {
            var cores: [String: Any] = ["ceiling_curl": round(busy.curl, 2), "worker": round(busy.worker, 2),
                                        "of": ProcessInfo.processInfo.activeProcessorCount]
            if let straight = busy.straight { cores["connector_straight"] = round(straight, 2) }
            if let wrk = busy.wrk { cores["ceiling_wrk"] = round(wrk, 2) }
            object["cores_busy"] = cores
        }
        if let alone = row.alone {
            object["worker_alone"] = ["throughput": round(alone.throughput, 1), "cpu_us_per_notice": round(alone.process, 1),
                                      "broker_cpu_us_per_notice": round(alone.broker, 1)]
        }
        if let ratio = row.cpuBoundRatio { object["cpu_bound_ratio"] = round(ratio, 3) }
        if let switches = row.switches {
            object["context_switches_per_notice"] = ["connector_straight": round(switches.straight, 2), "worker": round(switches.worker, 2)]
        }
        return object
    }

    static func eaddress(records: Int, inFlight: Int, prepared: Int, client: KafkaClientProperties, logger: Logger, broker: pid_t?) async throws -> Row {
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let tag = UUID().uuidString.prefix(8).lowercased()
        BenchCommand.status("e-address ceiling: curl posting \(records) messages straight at the mailbox, \(inFlight) at a time")
        let ceiling = try curl(records: records, inFlight: inFlight, tag: tag) { index in
            let body = #"{"messageId":"ceiling-\#(tag)-\#(index)","sender":"VSAA","recipient":"c:\#(String(format: "%032d", index))","subject":"Lieta \#(index)","body":"Lietā pieņemts lēmums."}"#
            return ["url = \"\(mailbox.baseURL)/v1/messages\"", "header = \"Content-Type: application/json\"",
                    curlData(body)]
        }
        let wrk = try wrkCeiling("e-address", url: mailbox.baseURL, inFlight: inFlight, records: records, tag: tag, request: """
              local body = '{"messageId":"wrk-' .. tag .. '-' .. n .. '","sender":"VSAA","recipient":"' .. string.format("c:%032d", n)
                .. '","subject":"Lieta ' .. n .. '","body":"Lietā pieņemts lēmums."}'
              return wrk.format("POST", "/v1/messages", {["Content-Type"] = "application/json"}, body)
            """)
        // As a real mailbox does, it accepts at once and counts a message delivered a second later; the worker confirms by asking.
        mailbox.update { $0.deliverAfter = .seconds(1) }
        let message: (Int, NotificationRequest) -> Notice = { index, request in
            Notice(notificationId: UUID.random(), channel: .eaddress, recipientKey: request.clientKey, role: .client, to: [request.clientKey],
                   messageClass: .official, carriesContent: true, language: "lv", templateId: "*/completed/eaddress/lv", subject: "Lieta B-\(index)",
                   body: "Lietā pieņemts lēmums.", request: request, createdAt: Date())
        }
        BenchCommand.status("e-address ceiling: the connector posting \(records) messages straight at the mailbox, \(inFlight) at a time, no Kafka")
        let direct = try await straight(EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB", connections: inFlight),
                                        records: records, inFlight: inFlight, notice: message)
        let before = mailbox.messages.count
        let connector = TimedConnector(EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB", connections: inFlight))
        let largestRound = PosixMutex<(notices: Double, seconds: Double)>((0, 0))
        let driven = try await drive(connector, records: records, inFlight: inFlight, prepared: prepared, tag: tag, client: client,
                                     logger: logger, broker: broker, notice: message) { metrics in
            let labels = ["channel": "eaddress"]
            if let notices = metrics.value("hub_channel_confirmation_round_notices", labels: labels),
               let seconds = metrics.value("hub_channel_confirmation_round_seconds", labels: labels) {
                largestRound.withLock { if notices > $0.notices { $0 = (notices, seconds) } }
            }
            return Int(metrics.value("hub_channel_confirmations_total", labels: labels.merging(["outcome": "delivered"]) { $1 }) ?? 0) >= records
        }
        var row = Row(channel: "e-address", records: records, ceilingSeconds: ceiling.seconds, seconds: driven.seconds, connector: connector,
                      arrived: mailbox.messages.count - before, confirmedSeconds: driven.settled)
        row.prepared = prepared
        row.cpu = cpuPerNotice(records: records, ceiling: ceiling, driven: driven)
        row.straight = direct
        row.switches = (Double(direct.switches) / Double(records), Double(driven.switches) / Double(records))
        row.largestConfirmationRound = largestRound.withLock { $0.notices > 0 ? $0 : nil }
        row.wrk = wrk
        row.alone = try await alone(channel: .eaddress, records: records, inFlight: inFlight, prepared: prepared, tag: tag, client: client,
                                    logger: logger, broker: broker, notice: message)
        return row
    }

    static func sms(records: Int, inFlight: Int, prepared: Int, client: KafkaClientProperties, logger: Logger) async throws -> Row {
        let kannel = try KannelSandbox()
        try await kannel.start()
        defer { kannel.stop() }
        let inbox = DeliveryReportInbox()
        var router = HTTPRouter()
        router.register("GET", KannelDeliveryReport.path, handler: KannelDeliveryReport.handler(inbox))
        // The ceiling's reports are answered 200 at once: a refused report is one Kannel calls again, which would slow the ceiling.
        router.registerBlocking("GET", "/ceiling") { _ in .text("ok\n") }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let callbacks = HTTPServer(configuration: configuration, router: router)
        try callbacks.start()
        defer { callbacks.shutdown() }
        let callbackURL = "http://127.0.0.1:\(callbacks.port)\(KannelDeliveryReport.path)"
        let tag = UUID().uuidString.prefix(8).lowercased()
        let settings = KannelConnector.Settings(sendURL: kannel.sendURL, username: kannel.username, password: kannel.password,
                                                sender: "Latvija.lv", callbackURL: callbackURL)
        // The ceiling asks for delivery reports too (the worker's `dlr-mask`, to a URL that only says ok), so Kannel does the same work for both.
        BenchCommand.status("SMS ceiling: curl sending \(records) SMS straight at Kannel's sendsms, \(inFlight) at a time")
        let sink = "http://127.0.0.1:\(callbacks.port)/ceiling"
        let ceiling = try curl(records: records, inFlight: inFlight, tag: tag) { index in
            let dlr = KannelConnector.encode(sink + "?type=%d")
            return ["url = \"\(kannel.sendURL)?username=\(kannel.username)&password=\(kannel.password)&from=Bench&to=3719\(String(format: "%07d", index))"
                    + "&coding=0&charset=UTF-8&text=Kods%20\(index)&dlr-mask=\(settings.dlrMask)&dlr-url=\(dlr)\""]
        }
        // Kannel accepts faster than it hands over to the SMSC: let it deliver the ceiling's messages (and send
        // their reports) before the worker starts, so the worker does not meet the ceiling's backlog.
        let waiting = ContinuousClock.now
        while kannel.received.count < records, ContinuousClock.now < waiting + .seconds(120) { try await Task.sleep(for: .milliseconds(100)) }
        BenchCommand.status("Kannel handed the ceiling's \(kannel.received.count) messages to the SMSC after \(BenchCommand.format((ContinuousClock.now - waiting).inSeconds, 2)) s more")
        let sms: (Int, NotificationRequest) -> Notice = { index, request in
            Notice(notificationId: UUID.random(), channel: .sms, recipientKey: request.clientKey, role: .client, to: [String(format: "3712%07d", index)],
                   messageClass: .informational, carriesContent: true, language: "lv", templateId: "*/accepted/sms/lv", subject: nil,
                   body: "Kods \(index)", smsSegments: 1, smsEncoding: "gsm7", request: request, createdAt: Date())
        }
        // The connector itself, straight at Kannel without Kafka (its reports to the same URL that only says ok): a second
        // ceiling, since curl's runs below the worker's and nothing found says why.
        BenchCommand.status("SMS ceiling: the Kannel connector sending \(records) SMS straight at Kannel's sendsms, \(inFlight) at a time, no Kafka")
        var straightSettings = settings
        straightSettings.callbackURL = sink
        let direct = try await straight(KannelConnector(settings: straightSettings, connections: inFlight), records: records, inFlight: inFlight, notice: sms)
        let handing = ContinuousClock.now
        while kannel.received.count < 2 * records, ContinuousClock.now < handing + .seconds(120) { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .seconds(2))
        let before = kannel.received.count
        let connector = TimedConnector(KannelConnector(settings: settings, connections: inFlight))
        let driven = try await drive(connector, records: records, inFlight: inFlight, prepared: prepared, tag: tag, client: client, logger: logger,
                                     reports: inbox, notice: sms) { metrics in
            Int(metrics.value("hub_channel_reports_total", labels: ["outcome": "delivered"]) ?? 0) >= records
        }
        try await Task.sleep(for: .milliseconds(500))
        var row = Row(channel: "sms", records: records, ceilingSeconds: ceiling.seconds, seconds: driven.seconds, connector: connector,
                      arrived: kannel.received.count - before, confirmedSeconds: driven.settled)
        row.prepared = prepared
        row.straight = direct
        return row
    }

    static func email(records: Int, inFlight: Int, prepared: Int, client: KafkaClientProperties, logger: Logger) async throws -> Row {
        let relay = try SMTPSandbox()
        try await relay.start()
        defer { relay.stop() }
        let tag = UUID().uuidString.prefix(8).lowercased()
        // The ceiling sends the very message the connector renders.
        let sample = MailMessage(from: "noreply@latvija.lv", to: "c0@example.lv", subject: "Lieta C-0", body: "Lietā pieņemts lēmums.",
                                 notificationId: UUID.random(), domain: "hub.gov.lv")
        let file = NSTemporaryDirectory() + "bench-mail-\(tag).eml"
        try sample.rendered.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        BenchCommand.status("e-mail ceiling: curl sending \(records) messages straight at the SMTP relay, \(inFlight) at a time")
        let ceiling = try curl(records: records, inFlight: inFlight, tag: tag) { index in
            ["url = \"\(relay.url)\"", "mail-from = \"<noreply@latvija.lv>\"", "mail-rcpt = \"<c\(index)@example.lv>\"",
             "upload-file = \"\(file)\""]
        }
        let settings = SMTPConnector.Settings(url: relay.url, from: "noreply@latvija.lv")
        let mail: (Int, NotificationRequest) -> Notice = { index, request in
            Notice(notificationId: UUID.random(), channel: .email, recipientKey: request.clientKey, role: .client, to: ["c\(index)@example.lv"],
                   messageClass: .informational, carriesContent: true, language: "lv", templateId: "*/completed/email/lv", subject: "Lieta C-\(index)",
                   body: "Lietā pieņemts lēmums.", request: request, createdAt: Date())
        }
        // curl's command line closes its SMTP connection after every message; the connector keeps each one's session open.
        // So the connector, driven straight at the relay without Kafka, is the relay's ceiling too.
        BenchCommand.status("e-mail ceiling: the SMTP connector sending \(records) messages straight at the relay, \(inFlight) at a time, no Kafka")
        let direct = try await straight(SMTPConnector(settings: settings, connections: inFlight), records: records, inFlight: inFlight, notice: mail)
        let before = relay.received
        let connector = TimedConnector(SMTPConnector(settings: settings, connections: inFlight))
        let driven = try await drive(connector, records: records, inFlight: inFlight, prepared: prepared, tag: tag, client: client,
                                     logger: logger, notice: mail)
        var row = Row(channel: "e-mail", records: records, ceilingSeconds: ceiling.seconds, seconds: driven.seconds, connector: connector,
                      arrived: relay.received - before, confirmedSeconds: nil)
        row.prepared = prepared
        row.straight = direct
        return row
    }

    static func push(records: Int, inFlight: Int, prepared: Int, client: KafkaClientProperties, logger: Logger, broker: pid_t?) async throws -> Row {
        let gateway = PushGateway()
        try gateway.start()
        defer { gateway.stop() }
        let tag = UUID().uuidString.prefix(8).lowercased()
        BenchCommand.status("push ceiling: curl posting \(records) pushes straight at the push gateway, \(inFlight) at a time")
        let ceiling = try curl(records: records, inFlight: inFlight, tag: tag) { index in
            let key = "ceiling-\(tag)-\(index):0"
            let body = #"{"body":"Lietā pieņemts lēmums.","data":{"agency":"VSAA","caseId":"P-\#(index)","notificationId":"\#(key)"},"idempotencyKey":"\#(key)","title":"Lieta P-\#(index)","token":"device-\#(index)"}"#
            return ["url = \"\(gateway.baseURL)/v1/push\"", "header = \"Content-Type: application/json\"", "header = \"Idempotency-Key: \(key)\"",
                    curlData(body)]
        }
        let wrk = try wrkCeiling("push", url: gateway.baseURL, inFlight: inFlight, records: records, tag: tag, request: """
              local key = "wrk-" .. tag .. "-" .. n .. ":0"
              local body = '{"body":"Lietā pieņemts lēmums.","data":{"agency":"VSAA","caseId":"W-' .. n .. '","notificationId":"' .. key
                .. '"},"idempotencyKey":"' .. key .. '","title":"Lieta W-' .. n .. '","token":"device-' .. n .. '"}'
              return wrk.format("POST", "/v1/push", {["Content-Type"] = "application/json", ["Idempotency-Key"] = key}, body)
            """)
        let message: (Int, NotificationRequest) -> Notice = { index, request in
            Notice(notificationId: UUID.random(), channel: .push, recipientKey: request.clientKey, role: .client, to: ["device-\(index)"],
                   messageClass: .informational, carriesContent: true, language: "lv", templateId: "*/completed/push/lv", subject: "Lieta P-\(index)",
                   body: "Lietā pieņemts lēmums.", request: request, createdAt: Date())
        }
        BenchCommand.status("push ceiling: the connector posting \(records) pushes straight at the push gateway, \(inFlight) at a time, no Kafka")
        let direct = try await straight(PushConnector(baseURL: gateway.baseURL, connections: inFlight), records: records, inFlight: inFlight, notice: message)
        let before = gateway.pushes.count
        let connector = TimedConnector(PushConnector(baseURL: gateway.baseURL, connections: inFlight))
        let driven = try await drive(connector, records: records, inFlight: inFlight, prepared: prepared, tag: tag, client: client, logger: logger,
                                     broker: broker, notice: message)
        var row = Row(channel: "push", records: records, ceilingSeconds: ceiling.seconds, seconds: driven.seconds, connector: connector,
                      arrived: gateway.pushes.count - before, confirmedSeconds: nil)
        row.prepared = prepared
        row.cpu = cpuPerNotice(records: records, ceiling: ceiling, driven: driven)
        row.straight = direct
        row.switches = (Double(direct.switches) / Double(records), Double(driven.switches) / Double(records))
        row.wrk = wrk
        row.alone = try await alone(channel: .push, records: records, inFlight: inFlight, prepared: prepared, tag: tag, client: client,
                                    logger: logger, broker: broker, notice: message)
        return row
    }

    /// The worker once more, on `records` further notices, with the gateway call left out; run after the worker's phase
    /// with the same `tag` (its consumer group, which has read that phase's notices, so this one reads only its own).
    static func alone(channel: NotifyChannel, records: Int, inFlight: Int, prepared: Int, tag: String, client: KafkaClientProperties, logger: Logger,
                      broker: pid_t?, notice: (Int, NotificationRequest) -> Notice) async throws -> (throughput: Double, process: Double, broker: Double)? {
        BenchCommand.status("\(channel.rawValue): the worker again with the gateway call left out (an instant connector)")
        let driven = try await drive(TimedConnector(InstantConnector(channel: channel)), records: records, inFlight: inFlight, prepared: prepared, tag: tag,
                                     client: client, logger: logger, broker: broker, notice: notice)
        guard let brokerCPU = driven.brokerCPU else { return nil }
        let micro = 1_000_000 / Double(records)
        return (Double(records) / driven.seconds, driven.processCPU * micro, brokerCPU * micro)
    }

    /// Microseconds of CPU per notice in the ceiling (curl, this process) and the worker's phase (this process, the broker).
    static func cpuPerNotice(records: Int, ceiling: (seconds: Double, curlCPU: Double, processCPU: Double),
                             driven: Driven)
        -> (curl: Double, ceilingProcess: Double, process: Double, broker: Double)? {
        guard let broker = driven.brokerCPU else { return nil }
        let micro = 1_000_000 / Double(records)
        return (ceiling.curlCPU * micro, ceiling.processCPU * micro, driven.processCPU * micro, broker * micro)
    }

    /// The seconds `connector` takes to send `records` notices straight, `inFlight` at a time, without Kafka or a worker;
    /// throws unless the gateway took every one.
    static func straight(_ connector: any ChannelConnector, records: Int, inFlight: Int, notice: (Int, NotificationRequest) -> Notice) async throws
        -> (seconds: Double, processCPU: Double, switches: Int) {
        let notices = (0 ..< records).map { index in
            notice(index, Self.request(index, caseId: "S-\(index)"))
        }
        let (start, cpu, switches) = (ContinuousClock.now, CPUTime.own, CPUTime.switches)
        let taken = await withTaskGroup(of: Int.self) { group in
            for lane in 0 ..< max(1, min(inFlight, records)) {
                group.addTask {
                    var taken = 0
                    for index in stride(from: lane, to: notices.count, by: max(1, min(inFlight, records))) {
                        switch await connector.send(notices[index]) {
                        case .accepted, .delivered: taken += 1
                        default: break
                        }
                    }
                    return taken
                }
            }
            return await group.reduce(0, +)
        }
        let (seconds, used, switched) = ((ContinuousClock.now - start).inSeconds, CPUTime.own - cpu, CPUTime.switches - switches)
        guard taken == records else { throw UsageError("the gateway took \(taken) of \(records) notices sent straight by the connector") }
        return (seconds, used, switched)
    }

    /// The request behind the bench's notice `index`: one client per index, as a day's traffic to distinct recipients.
    static func request(_ index: Int, caseId: String) -> NotificationRequest {
        NotificationRequest(requestId: UUID.random(), clientKey: "c:" + String(format: "%032d", index), representativeKey: nil,
                            agency: "VSAA", caseId: caseId, serviceId: "VSAA-PENS", status: .completed, step: nil,
                            messageClass: .official, occurredAt: Date(), link: nil)
    }

    /// wrk straight at an HTTP gateway for about a second per 10,000 records (2 to 10 s), `inFlight` at a time, each request
    /// made by the Lua lines `request` from the request's number `n` and the run's `tag`; nil (and said) when wrk is not installed.
    static func wrkCeiling(_ gateway: String, url: String, inFlight: Int, records: Int, tag: String, request: String) throws -> WrkCeiling.Measured? {
        guard let wrk = WrkCeiling.path else {
            BenchCommand.status("\(gateway) ceiling: wrk is not installed ('make setup' installs it), so its ceiling is left out")
            return nil
        }
        let seconds = max(2, min(10, records / 10_000))
        BenchCommand.status("\(gateway) ceiling: wrk sending requests straight at the gateway for \(seconds) s, \(inFlight) at a time")
        let script = "local tag, n = \"\(tag)\", 0\nrequest = function()\n  n = n + 1\n\(request)\nend\n"
        return try WrkCeiling.run(wrk, url: url, connections: inFlight, seconds: seconds, tag: tag, script: script)
    }

    /// A curl config `data` line carrying `json` (its quotes escaped).
    static func curlData(_ json: String) -> String { "data = \"\(json.replacingOccurrences(of: "\"", with: "\\\""))\"" }

    /// curl sending `records` requests made by `request` (config lines), `inFlight` at a time; the seconds it
    /// took, and the CPU seconds curl and this process (an in-process gateway) used meanwhile.
    static func curl(records: Int, inFlight: Int, tag: String, _ request: (Int) -> [String]) throws
        -> (seconds: Double, curlCPU: Double, processCPU: Double) {
        let config = NSTemporaryDirectory() + "/bench-curl-\(tag).cfg"
        var lines: [String] = []
        for index in 0 ..< records {
            lines += (index == 0 ? [] : ["next"]) + request(index) + ["output = \"/dev/null\"", "silent"]
        }
        try lines.joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        let (children, own) = (CPUTime.children, CPUTime.own)
        let start = ContinuousClock.now
        try BenchCommand.runShell("curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max \(inFlight) -K '\(config)'")
        return ((ContinuousClock.now - start).inSeconds, CPUTime.children - children, CPUTime.own - own)
    }

    /// Loads the notices, runs the worker until every one is committed; the seconds that took and, when
    /// `settled` waits for more (delivery reports), the seconds until it held.
    /// The CPU seconds this process and the broker (`broker`, its process id) used while the notices drained come with them.
    static func drive(_ connector: TimedConnector, records: Int, inFlight: Int, prepared: Int, tag: String, client: KafkaClientProperties, logger: Logger,
                      broker: pid_t? = nil, reports: DeliveryReportInbox? = nil, notice: (Int, NotificationRequest) -> Notice,
                      settled: @escaping (MetricsRegistry) -> Bool = { _ in true })
        async throws -> Driven {
        let topic = connector.channel.topic
        BenchCommand.status("loading \(records) notices into \(topic)")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        for from in stride(from: 0, to: records, by: 5_000) {
            _ = try await producer.sendAll(try (from ..< min(records, from + 5_000)).map { index in
                let made = notice(index, Self.request(index, caseId: "B-\(index)"))
                return KafkaProducerRecord(topic: topic, key: Array(made.recipientKey.utf8), value: try RecordJSON.bytes(made))
            })
        }
        await producer.close()
        let metrics = MetricsRegistry(), readiness = Readiness()
        let worker = ChannelWorkerService(connector: connector, client: client, instance: "bench-\(tag)", groupID: "bench-\(connector.channel.rawValue)-\(tag)",
                                          settings: .init(ladder: .none, inFlight: inFlight, prepared: prepared), metrics: metrics, readiness: readiness, logger: logger,
                                          hubVersion: VersionCommand.hubVersion, crashes: try HubConfiguration().crashJournal(), reports: reports)
        let shutdown = ShutdownSignal()
        let start = ContinuousClock.now
        let drained = try await BenchCommand.drain(worker, stage: "channel-\(connector.channel.rawValue)", records: records,
                                                   metrics: metrics, readiness: readiness, shutdown: shutdown, broker: broker)
        var settledSeconds: Double?
        if !settled(metrics) {
            while !settled(metrics), ContinuousClock.now < start + .seconds(300) { try await Task.sleep(for: .milliseconds(20)) }
            settledSeconds = (ContinuousClock.now - start).inSeconds
        }
        shutdown.trigger()
        try await drained.running.value
        return (drained.seconds, settledSeconds, drained.processCPU, drained.brokerCPU, drained.switches)
    }
}
