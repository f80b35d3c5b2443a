import ChannelDelivery
import ChannelWorker
import DeadLetters
import EAddressConnector
import EmailConnector
import Foundation
import HubLogging
import HubRuntime
import Kafka
import Sandboxes
import PushConnector
import SMSConnector
import Topics

/// `hub sandbox eaddress` (the mailbox emulator) and `hub channel run eaddress` (the e-address worker).
enum ChannelCommands {
    static let sandboxHelp = """
    Usage: hub sandbox eaddress [--port P] [--latency-ms N] [--fail-rate F] [--deliver-after-ms N] [--down-seconds N]
           hub sandbox sms [--port P]
           hub sandbox push [--port P] [--latency-ms N] [--fail-rate F] [--down-seconds N]
           hub sandbox dagr [--port P] [--seed N] [--latency-ms N] [--fail-rate F] [--down-seconds N]
    eaddress: the e-address delivery API of docs/connectors/eaddress.md, in memory, for tests and integrators:
    POST /v1/messages, GET /v1/messages/status?messageId=…, POST /v1/messages/status (ids in a batch), GET /v1/messages[?recipient=…].
    sms: a real Kannel gateway (bearerbox + smsbox, Debian's kannel) with fakesmsc as the operator; prints the
    channel.sms.gateways value to use and every message the operator receives.
    push: the push gateway API of docs/connectors/push.md, in memory: POST /v1/push, GET /v1/push/status?idempotencyKey=….
    dagr: the register API of docs/lookups.md over a synthetic register generated from --seed (no real data).
    """

    /// A sandbox's lines (its address, keys to try, what the fake operator received) are read while it runs,
    /// often through a pipe: written at once, not when stdout's buffer fills or the sandbox exits.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func sandbox(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "port", "latency-ms", "fail-rate", "deliver-after-ms", "down-seconds", "seed"], switches: [])
        guard !arguments.has("help"), ["eaddress", "sms", "push", "dagr"].contains(arguments.positionals.first ?? "") else { print(sandboxHelp); return }
        if arguments.positionals.first == "dagr" {
            var settings = DAGRRegister.Settings()
            settings.latency = .milliseconds(try arguments.integer("latency-ms", default: 0))
            settings.failureRate = Double(arguments.value("fail-rate") ?? "0") ?? 0
            let down = try arguments.integer("down-seconds", default: 0)
            if down > 0 { settings.downUntil = Date().addingTimeInterval(Double(down)) }
            let register = DAGRRegister(port: try arguments.integer("port", default: 8092), seed: UInt64(try arguments.integer("seed", default: 2026)),
                                        settings: settings)
            try register.start()
            let sample = register.register
            say("register emulator on \(register.baseURL) (Ctrl-C stops it): \(sample.personCodes.count) persons, \(sample.companyNumbers.count) companies, "
                  + "\(sample.addressCodes.count) addresses; e.g. personCode \(sample.personCodes[0]), regNumber \(sample.companyNumbers[0]), address code \(sample.addressCodes[0])")
            say("make a change happen: curl -X POST \(register.baseURL)/sandbox/changes -d '{\"kind\": \"company.liquidated\", \"key\": \"\(sample.companyNumbers[0])\"}'")
            try await ServiceGroup(services: [SandboxService(name: "dagr-sandbox", stop: register.stop)], logger: Logger(component: "sandbox", threshold: .info))
                .run(shutdown: ShutdownSignal())
            return
        }
        if arguments.positionals.first == "push" {
            var settings = PushGateway.Settings()
            settings.latency = .milliseconds(try arguments.integer("latency-ms", default: 0))
            settings.failureRate = Double(arguments.value("fail-rate") ?? "0") ?? 0
            let down = try arguments.integer("down-seconds", default: 0)
            if down > 0 { settings.downUntil = Date().addingTimeInterval(Double(down)) }
            let gateway = PushGateway(port: try arguments.integer("port", default: 8091), settings: settings)
            try gateway.start()
            say("push gateway emulator on \(gateway.baseURL) (Ctrl-C stops it)")
            try await ServiceGroup(services: [SandboxService(name: "push-sandbox", stop: gateway.stop)], logger: Logger(component: "sandbox", threshold: .info))
                .run(shutdown: ShutdownSignal())
            return
        }
        if arguments.positionals.first == "sms" {
            guard KannelSandbox.isInstalled else { throw UsageError("Kannel is not installed: run 'make setup' (Debian packages kannel, kannel-extras)") }
            let kannel = try KannelSandbox(sendPort: try arguments.integer("port", default: 13013))
            try await kannel.start()
            say("Kannel on \(kannel.sendURL) (Ctrl-C stops it)\nchannel.sms.gateways = \(kannel.gatewaySetting)")
            let shutdown = ShutdownSignal()
            try await ServiceGroup(services: [KannelSandboxService(kannel: kannel, echo: true)],
                                   logger: Logger(component: "sandbox", threshold: .info)).run(shutdown: shutdown)
            return
        }
        var settings = EAddressMailbox.Settings()
        settings.latency = .milliseconds(try arguments.integer("latency-ms", default: 0))
        settings.failureRate = Double(arguments.value("fail-rate") ?? "0") ?? 0
        settings.deliverAfter = .milliseconds(try arguments.integer("deliver-after-ms", default: 0))
        let down = try arguments.integer("down-seconds", default: 0)
        if down > 0 { settings.downUntil = Date().addingTimeInterval(Double(down)) }
        let mailbox = EAddressMailbox(port: try arguments.integer("port", default: 8090), settings: settings)
        try mailbox.start()
        say("e-address mailbox emulator on \(mailbox.baseURL) (Ctrl-C stops it)")
        let shutdown = ShutdownSignal()
        let service = SandboxService(name: "eaddress-sandbox", stop: mailbox.stop)
        try await ServiceGroup(services: [service], logger: Logger(component: "sandbox", threshold: .info)).run(shutdown: shutdown)
    }

    static let channelHelp = """
    Usage: hub channel run eaddress|email|sms|push [--http-port P]
    Runs a channel worker: notify.eaddress -> the delivery API at channel.eaddress.url,
    notify.email -> the SMTP relay at channel.email.url, or notify.sms -> the Kannel gateways
    of channel.sms.gateways, or notify.push -> the push gateway at channel.push.url; every step on notify.receipts. The SMS worker serves Kannel's
    delivery reports at /callbacks/kannel on its HTTP server (http.port unless --http-port).
    """

    static func channel(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "http-port"], switches: [])
        guard !arguments.has("help"), arguments.positionals.count == 2, arguments.positionals[0] == "run",
              ["eaddress", "email", "sms", "push"].contains(arguments.positionals[1]) else {
            print(channelHelp); return
        }
        let context = try HubContext(arguments: arguments)
        let metrics = MetricsRegistry(), readiness = Readiness()
        let client = try context.requireKafka()
        var routes: [OpsHTTPService.Route] = []
        var services: [any HubService]
        switch arguments.positionals[1] {
        case "email": services = [try makeEmailWorker(client: client, context: context, metrics: metrics, readiness: readiness)]
        case "push": services = [try makePushWorker(client: client, context: context, url: nil, metrics: metrics, readiness: readiness)]
        case "sms":
            let inbox = DeliveryReportInbox()
            services = [try makeSMSWorker(client: client, context: context, metrics: metrics, readiness: readiness, reports: inbox)]
            routes.append(OpsHTTPService.Route("GET", KannelDeliveryReport.path, handler: KannelDeliveryReport.handler(inbox)))
        default: services = [try makeEAddressWorker(client: client, context: context, url: nil, metrics: metrics, readiness: readiness)]
        }
        let port = try arguments.value("http-port").flatMap(Int.init) ?? (routes.isEmpty ? nil : context.configuration.integer("http.port"))
        if let port {
            let ops = OpsHTTPService(host: context.configuration["http.host"]!, port: port, metrics: metrics, readiness: readiness, routes: routes)
            try ops.bind()
            services.insert(ops, at: 0)
        }
        try await ServiceGroup(services: services, logger: context.logger).run()
    }

    static func makeEmailWorker(client: KafkaClientProperties, context: HubContext, metrics: MetricsRegistry,
                                readiness: Readiness) throws -> ChannelWorkerService {
        let configuration = context.configuration
        var smtp = SMTPConnector.Settings(url: configuration["channel.email.url"]!, from: configuration["channel.email.from"]!)
        let user = configuration["channel.email.user"]!, caFile = configuration["channel.email.ca.file"]!
        smtp.user = user.isEmpty ? nil : user
        smtp.password = configuration["channel.email.password"]
        smtp.requireTLS = configuration["channel.email.require.tls"] == "true"
        smtp.caFile = caFile.isEmpty ? nil : caFile
        return ChannelWorkerService(connector: SMTPConnector(settings: smtp, connections: try configuration.integer("channel.inflight")), client: client, instance: configuration["hub.instance"]!,
                                    settings: try workerSettings(configuration, rateKey: "channel.email.rate"), metrics: metrics,
                                    readiness: readiness, logger: context.logger, hubVersion: VersionCommand.hubVersion,
                                    crashes: try configuration.crashJournal())
    }

    /// The SMS worker over the Kannel gateways of `channel.sms.gateways` (pooled when there are several).
    static func makeSMSWorker(client: KafkaClientProperties, context: HubContext, metrics: MetricsRegistry, readiness: Readiness,
                              reports: DeliveryReportInbox) throws -> ChannelWorkerService {
        let configuration = context.configuration
        let list: SMSGatewayList
        do { list = try SMSGatewayList(parsing: configuration["channel.sms.gateways"]!) } catch { throw UsageError("channel.sms.gateways: \(error)") }
        let callback = configuration["channel.sms.callback.url"]!
        let inFlight = try configuration.integer("channel.inflight")
        let gateways = list.entries.map { entry in
            PooledConnector.Gateway(name: entry.name, weight: entry.weight, connector: KannelConnector(
                settings: .init(sendURL: entry.sendURL, username: entry.username, password: entry.password,
                                sender: configuration["channel.sms.sender"]!, callbackURL: callback.isEmpty ? nil : callback),
                name: entry.name, connections: inFlight))
        }
        guard let threshold = Double(configuration["channel.sms.failover.threshold"]!), threshold > 0, threshold <= 1 else {
            throw UsageError("channel.sms.failover.threshold must be a share between 0 and 1")
        }
        let pool = GatewayPool.Settings(errorThreshold: threshold,
                                        coolDown: Double(try configuration.integer("channel.sms.failover.cooldown.seconds")))
        let connector: any ChannelConnector = gateways.count == 1 ? gateways[0].connector : PooledConnector(gateways, settings: pool)
        return ChannelWorkerService(connector: connector, client: client, instance: configuration["hub.instance"]!,
                                    settings: try workerSettings(configuration, rateKey: "channel.sms.rate"), metrics: metrics,
                                    readiness: readiness, logger: context.logger, hubVersion: VersionCommand.hubVersion,
                                    crashes: try configuration.crashJournal(), reports: reports)
    }

    /// The push worker over the push gateway at `url` (or channel.push.url).
    static func makePushWorker(client: KafkaClientProperties, context: HubContext, url: String?, metrics: MetricsRegistry,
                               readiness: Readiness) throws -> ChannelWorkerService {
        let configuration = context.configuration
        let base = url ?? configuration["channel.push.url"]!
        guard URL(string: base)?.scheme != nil else { throw UsageError("channel.push.url must be the push gateway's base URL, e.g. http://127.0.0.1:8091") }
        let key = configuration["channel.push.key"]!
        let connector = PushConnector(baseURL: base, apiKey: key.isEmpty ? nil : key, connections: try configuration.integer("channel.inflight"))
        return ChannelWorkerService(connector: connector, client: client, instance: configuration["hub.instance"]!,
                                    settings: try workerSettings(configuration, rateKey: "channel.push.rate", preparedKey: preparedKey(.push)), metrics: metrics,
                                    readiness: readiness, logger: context.logger, hubVersion: VersionCommand.hubVersion,
                                    crashes: try configuration.crashJournal())
    }

    /// The settings every channel worker shares, with its own rate limit.
    /// A worker's settings; `preparedKey` is `channel.prepared` for gateways that cannot be asked about a notice, the
    /// channel's own key for those that can (`preparedKey(_:)`).
    static func workerSettings(_ configuration: HubConfiguration, rateKey: String,
                               preparedKey: String = "channel.prepared") throws -> ChannelWorkerService.Settings {
        var ladder: RetryLadder
        do { ladder = try RetryLadder(parsing: configuration["channel.retry.ladder"]!) } catch { throw UsageError(error.description) }
        guard let jitter = Double(configuration["channel.retry.jitter"]!), (0 ... 1).contains(jitter) else {
            throw UsageError("channel.retry.jitter must be a share between 0 and 1")
        }
        ladder.jitter = jitter
        let rate = try configuration.integer(rateKey)
        return ChannelWorkerService.Settings(ladder: ladder, confirmEvery: .seconds(5),
                                             confirmTimeout: .seconds(try configuration.integer("channel.confirm.timeout.seconds")),
                                             ratePerSecond: rate > 0 ? Double(rate) : nil,
                                             circuitFailures: try configuration.integer("channel.circuit.failures"),
                                             circuitOpenSeconds: Double(try configuration.integer("channel.circuit.open.seconds")),
                                             inFlight: try configuration.integer("channel.inflight"),
                                             prepared: try configuration.integer(preparedKey),
                                             ledgerMemory: .seconds(try ledgerDays(configuration) * 86_400))
    }

    /// The key of a channel's `prepared`: its own where the gateway can be asked about a notice after a crash.
    static func preparedKey(_ channel: NotifyChannel) -> String {
        switch channel {
        case .push, .eaddress: "channel.\(channel.rawValue).prepared"
        case .sms, .email: "channel.prepared"
        }
    }

    private static func ledgerDays(_ configuration: HubConfiguration) throws -> Int {
        let days = try configuration.integer("channel.ledger.days")
        guard days >= 1 else { throw UsageError("channel.ledger.days must be at least 1") }
        return days
    }

    static func makeEAddressWorker(client: KafkaClientProperties, context: HubContext, url: String?, metrics: MetricsRegistry,
                                   readiness: Readiness) throws -> ChannelWorkerService {
        let configuration = context.configuration
        guard let base = URL(string: url ?? configuration["channel.eaddress.url"]!), base.scheme != nil else {
            throw UsageError("channel.eaddress.url must be the delivery API's base URL, e.g. http://127.0.0.1:8090")
        }
        let token = configuration["channel.eaddress.token"]!
        let connector = EAddressConnector(baseURL: base, sender: configuration["channel.eaddress.sender"]!, token: token.isEmpty ? nil : token,
                                          connections: try configuration.integer("channel.inflight"))
        let settings = try workerSettings(configuration, rateKey: "channel.eaddress.rate", preparedKey: preparedKey(.eaddress))
        return ChannelWorkerService(connector: connector, client: client, instance: configuration["hub.instance"]!, settings: settings,
                                    metrics: metrics, readiness: readiness, logger: context.logger, hubVersion: VersionCommand.hubVersion,
                                    crashes: try configuration.crashJournal())
    }
}

/// The Kannel sandbox as a hub service: stops Kannel with the hub; `echo` prints what the operator receives
/// (the numbers only, the text stays out of logs).
struct KannelSandboxService: HubService {
    let name = "sms-sandbox"
    let kannel: KannelSandbox
    let echo: Bool
    func run(shutdown: ShutdownSignal) async throws {
        var seen = 0
        while !shutdown.isTriggered {
            try? await Task.sleep(for: .milliseconds(500))
            guard echo else { continue }
            let received = kannel.received
            for message in received.dropFirst(seen) {
                ChannelCommands.say("operator received: from \(message.from) to \(message.to), \(message.parts) part(s)\(message.ucs2 ? ", UCS-2" : "")")
            }
            seen = max(seen, received.count)
        }
        try await SandboxService(name: name, stop: kannel.stop).run(shutdown: shutdown)
    }
}

/// An emulator running beside the hub's services (`hub up`, `hub sandbox`), stopped with them:
/// its server's shutdown blocks, so it runs on a thread of its own.
struct SandboxService: HubService {
    let name: String
    let stop: @Sendable () -> Void
    func run(shutdown: ShutdownSignal) async throws {
        await shutdown.wait()
        let stop = self.stop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { stop(); continuation.resume() }.start()
        }
    }
}
