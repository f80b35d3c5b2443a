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
import SMSConnector

/// `hub sandbox eaddress` (the mailbox emulator) and `hub channel run eaddress` (the e-address worker).
enum ChannelCommands {
    static let sandboxHelp = """
    Usage: hub sandbox eaddress [--port P] [--latency-ms N] [--fail-rate F] [--deliver-after-ms N] [--down-seconds N]
    The e-address delivery API of docs/connectors/eaddress.md, in memory, for tests and integrators:
    POST /v1/messages, GET /v1/messages/status?messageId=…, GET /v1/messages[?recipient=…].
    """

    static func sandbox(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "port", "latency-ms", "fail-rate", "deliver-after-ms", "down-seconds"], switches: [])
        guard !arguments.has("help"), arguments.positionals.first == "eaddress" else { print(sandboxHelp); return }
        var settings = EAddressMailbox.Settings()
        settings.latency = .milliseconds(try arguments.integer("latency-ms", default: 0))
        settings.failureRate = Double(arguments.value("fail-rate") ?? "0") ?? 0
        settings.deliverAfter = .milliseconds(try arguments.integer("deliver-after-ms", default: 0))
        let down = try arguments.integer("down-seconds", default: 0)
        if down > 0 { settings.downUntil = Date().addingTimeInterval(Double(down)) }
        let mailbox = EAddressMailbox(port: try arguments.integer("port", default: 8090), settings: settings)
        try mailbox.start()
        print("e-address mailbox emulator on \(mailbox.baseURL) (Ctrl-C stops it)")
        let shutdown = ShutdownSignal()
        let service = SandboxService(mailbox: mailbox)
        try await ServiceGroup(services: [service], logger: Logger(component: "sandbox", threshold: .info)).run(shutdown: shutdown)
    }

    static let channelHelp = """
    Usage: hub channel run eaddress|email|sms [--http-port P]
    Runs a channel worker: notify.eaddress -> the delivery API at channel.eaddress.url,
    notify.email -> the SMTP relay at channel.email.url, or notify.sms -> the Kannel gateways
    of channel.sms.gateways; every step on notify.receipts. The SMS worker serves Kannel's
    delivery reports at /callbacks/kannel on its HTTP server (http.port unless --http-port).
    """

    static func channel(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "http-port"], switches: [])
        guard !arguments.has("help"), arguments.positionals.count == 2, arguments.positionals[0] == "run",
              ["eaddress", "email", "sms"].contains(arguments.positionals[1]) else {
            print(channelHelp); return
        }
        let context = try HubContext(arguments: arguments)
        let metrics = MetricsRegistry(), readiness = Readiness()
        let client = try context.requireKafka()
        var routes: [OpsHTTPService.Route] = []
        var services: [any HubService]
        switch arguments.positionals[1] {
        case "email": services = [try makeEmailWorker(client: client, context: context, metrics: metrics, readiness: readiness)]
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
        return ChannelWorkerService(connector: SMTPConnector(settings: smtp), client: client, instance: configuration["hub.instance"]!,
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

    /// The settings every channel worker shares, with its own rate limit.
    static func workerSettings(_ configuration: HubConfiguration, rateKey: String) throws -> ChannelWorkerService.Settings {
        let ladder: RetryLadder
        do { ladder = try RetryLadder(parsing: configuration["channel.retry.ladder"]!) } catch { throw UsageError(error.description) }
        let rate = try configuration.integer(rateKey)
        return ChannelWorkerService.Settings(ladder: ladder, confirmEvery: .seconds(5),
                                             confirmTimeout: .seconds(try configuration.integer("channel.confirm.timeout.seconds")),
                                             ratePerSecond: rate > 0 ? Double(rate) : nil,
                                             circuitFailures: try configuration.integer("channel.circuit.failures"),
                                             circuitOpenSeconds: Double(try configuration.integer("channel.circuit.open.seconds")),
                                             inFlight: try configuration.integer("channel.inflight"))
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
        let settings = try workerSettings(configuration, rateKey: "channel.eaddress.rate")
        return ChannelWorkerService(connector: connector, client: client, instance: configuration["hub.instance"]!, settings: settings,
                                    metrics: metrics, readiness: readiness, logger: context.logger, hubVersion: VersionCommand.hubVersion,
                                    crashes: try configuration.crashJournal())
    }
}

/// The mailbox emulator as a hub service, so `hub up` can run it beside the worker on a local hub.
struct SandboxService: HubService {
    let name = "eaddress-sandbox"
    let mailbox: EAddressMailbox
    func run(shutdown: ShutdownSignal) async throws {
        await shutdown.wait()
        let mailbox = self.mailbox
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { mailbox.stop(); continuation.resume() }.start()
        }
    }
}
