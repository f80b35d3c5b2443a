import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker
import ChannelDelivery
import Sandboxes
import SMSConnector
import NotificationService
import StatusIngestService

/// `hub up`: the whole hub on one machine. With no Kafka configured it
/// starts the local broker on 127.0.0.1:9092, creates every declared topic
/// and runs every service in one process until SIGTERM or Ctrl-C.
enum UpCommand {
    static let help = """
    Usage: hub up [--config FILE] [--http-port PORT]
    Starts the local broker when kafka.bootstrap.servers is not configured, applies the topic
    declarations, and runs every service plus /metrics, /healthz and /readyz. Ctrl-C stops it cleanly.
    """

    static func run(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "http-port"], switches: [])
        if arguments.has("help") { print(help); return }
        let context = try HubContext(arguments: arguments)
        let logger = context.logger
        let (client, broker) = try context.kafkaOrLocalBroker(preferredPort: 9092)
        defer { broker?.stop() }
        let outcome = try await TopicsCommand.apply(client: client, configuration: context.configuration, production: false, logger: logger)
        let failed = outcome.filter { if case .failed = $0.value { true } else { false } }
        if !failed.isEmpty { throw UsageError("topics could not be created: \(failed.keys.sorted().joined(separator: ", "))") }
        logger.info("topics ready", ["created": String(outcome.values.filter { $0 == .created }.count), "declared": String(outcome.count)])

        if broker != nil, let sample = CataloguePublisher.sampleFile() {
            // A fresh local broker is empty: give it the sample catalogue.
            let count = try await CataloguePublisher.publish(file: sample, client: client, logger: logger)
            logger.info("sample catalogue loaded", ["services": String(count)])
            if let templates = NotificationPublisher.sampleTemplates() {
                let loaded = try await NotificationPublisher.publish(templates: try NotificationPublisher.templates(in: templates), client: client, logger: logger)
                logger.info("sample notification templates loaded", ["templates": String(loaded)])
            }
        }
        let metrics = MetricsRegistry()
        let readiness = Readiness()
        let port = try arguments.value("http-port").map { guard let p = Int($0) else { throw UsageError("--http-port must be a number") }; return p }
            ?? context.configuration.integer("http.port")
        // Kannel's delivery reports reach the SMS worker through this server's /callbacks/kannel.
        let smsReports = DeliveryReportInbox()
        let ops = OpsHTTPService(host: context.configuration["http.host"]!, port: port, metrics: metrics, readiness: readiness,
                                 routes: [.init("GET", KannelDeliveryReport.path, handler: KannelDeliveryReport.handler(smsReports))])
        try ops.bind()
        metrics.set("hub_info", 1, labels: ["version": VersionCommand.hubVersion, "librdkafka": KafkaLibrary.versionString],
                    help: "Build information.")
        // Services register here as they are built (status ingestion, notifications, lookups, dead letters).
        var services: [any HubService] = [ops, try StatusCommands.makeIngest(client: client, context: context, metrics: metrics, readiness: readiness),
                                          try NotifyCommands.makeFanOut(client: client, context: context, metrics: metrics, readiness: readiness)]
        /// On a local broker: starts an emulator on its usual port (another when that is taken) and runs it beside the services.
        func emulate<Emulator: LocalEmulator>(_ name: String, port: Int, _ make: (Int) -> Emulator) throws -> Emulator? {
            guard broker != nil else { return nil }
            let emulator = make(LocalBroker.portIsFree(port) ? port : 0)
            try emulator.start()
            services.append(SandboxService(name: "\(name)-sandbox", stop: emulator.stop))
            logger.info("\(name) emulator", ["url": emulator.baseURL])
            return emulator
        }
        // On a local hub the workers deliver to emulators, so messages can be followed end to end.
        let mailbox = try emulate("eaddress", port: 8090) { EAddressMailbox(port: $0) }
        services.append(try ChannelCommands.makeEAddressWorker(client: client, context: context, url: mailbox?.baseURL, metrics: metrics, readiness: readiness))
        let push = try emulate("push", port: 8091) { PushGateway(port: $0) }
        services.append(try ChannelCommands.makePushWorker(client: client, context: context, url: push?.baseURL, metrics: metrics, readiness: readiness))
        // The register emulator for the lookup service, with the sample access policy.
        let register = try emulate("dagr", port: 8092) { DAGRRegister(port: $0) }
        if let sample = register?.register {
            // Keys to try, as `hub sandbox dagr` prints them (its persons are synthetic, but person codes stay out of logs).
            logger.info("dagr emulator keys to try", ["regNumber": sample.companyNumbers[0], "addressCode": sample.addressCodes[0]])
        }
        if register != nil, let policy = SampleFiles.find("lookup-policy.json") {
            let agencies = try await LookupCommands.publishPolicies(file: policy, client: client, logger: logger)
            logger.info("sample lookup policy loaded", ["agencies": String(agencies)])
        }
        services.append(contentsOf: try LookupCommands.makeServices(client: client, context: context, url: register?.baseURL, metrics: metrics, readiness: readiness))
        // And a real SMS gateway (Kannel with a fake operator) for the SMS worker, where Kannel is installed.
        var smsContext = context
        if broker != nil, KannelSandbox.isInstalled {
            let kannel = try KannelSandbox(sendPort: LocalBroker.portIsFree(13013) ? 13013 : 0)
            try await kannel.start()
            services.append(KannelSandboxService(kannel: kannel, echo: false))
            smsContext = try context.overriding(["channel.sms.gateways": kannel.gatewaySetting,
                                                 "channel.sms.callback.url": "http://127.0.0.1:\(ops.port)\(KannelDeliveryReport.path)"])
            logger.info("SMS gateway (Kannel, fake operator)", ["sendsms": kannel.sendURL, "logs": kannel.directory])
        }
        // And an SMTP relay (aiosmtpd writing to a maildir) for the e-mail worker, where it is installed.
        if broker != nil, SMTPSandbox.isInstalled {
            let smtp = try SMTPSandbox(port: LocalBroker.portIsFree(2525) ? 2525 : 0)
            try await smtp.start()
            services.append(SandboxService(name: "email-sandbox", stop: { smtp.stop() }))
            let emailContext = try context.overriding(["channel.email.url": smtp.url, "channel.email.require.tls": "false"])
            services.append(try ChannelCommands.makeEmailWorker(client: client, context: emailContext, metrics: metrics, readiness: readiness))
            logger.info("SMTP relay (aiosmtpd)", ["url": smtp.url, "maildir": smtp.maildir])
        } else if broker == nil {
            services.append(try ChannelCommands.makeEmailWorker(client: client, context: context, metrics: metrics, readiness: readiness))
        }
        if broker == nil || KannelSandbox.isInstalled {
            services.append(try ChannelCommands.makeSMSWorker(client: client, context: smsContext, metrics: metrics, readiness: readiness, reports: smsReports))
        }
        logger.notice("hub is up", ["bootstrap": client["bootstrap.servers"] ?? "", "http": "http://\(context.configuration["http.host"]!):\(ops.port)",
                                    "hint": "HUB_BOOTSTRAP_SERVERS=\(client["bootstrap.servers"] ?? "") hub consume TOPIC"])
        try await ServiceGroup(services: services, logger: logger).run()
        logger.notice("hub stopped")
    }
}
