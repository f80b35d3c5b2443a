import Foundation
import HubLogging
import HubRuntime
import Kafka
import LocalBroker

/// What every subcommand shares: the configuration, the logger and the
/// way to reach Kafka (a configured cluster, or the local broker).
struct HubContext {
    let configuration: HubConfiguration
    let logger: Logger

    init(arguments: Arguments) throws {
        configuration = try HubConfiguration.load(file: arguments.value("config") ?? ProcessInfo.processInfo.environment["HUB_CONFIG"])
        logger = Logger(component: "hub", threshold: try configuration.logLevel())
    }

    private init(configuration: HubConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The same context with some settings replaced (a local hub pointing a worker at its own sandbox).
    func overriding(_ settings: [String: String]) throws -> HubContext {
        var configuration = self.configuration
        for (key, value) in settings { configuration = try configuration.setting(key, to: value) }
        return HubContext(configuration: configuration, logger: logger)
    }

    /// The secret behind client pseudonyms; the development default is refused against a configured cluster.
    var pseudonymSecret: String {
        let secret = configuration["hub.pseudonym.secret"]!
        if secret == HubConfiguration.developmentPseudonymSecret && configuration.bootstrapServers != nil {
            logger.warning("hub.pseudonym.secret is the development default: set a secret of your own outside a local hub")
        }
        return secret
    }

    /// The configured cluster; commands that talk to an existing hub need one.
    func requireKafka() throws -> KafkaClientProperties {
        guard configuration.bootstrapServers != nil else {
            throw UsageError("no Kafka configured: set kafka.bootstrap.servers in the config file or HUB_BOOTSTRAP_SERVERS "
                             + "(the local hub started by 'make run' listens on 127.0.0.1:9092)")
        }
        return configuration.kafka
    }

    /// The configured cluster, or a local broker started for this command.
    func kafkaOrLocalBroker(preferredPort: Int? = nil) throws -> (KafkaClientProperties, LocalBroker?) {
        if configuration.bootstrapServers != nil { return (configuration.kafka, nil) }
        guard let binary = LocalBroker.locateBinary() else { throw LocalBrokerError.notInstalled }
        var port = preferredPort
        if let wanted = preferredPort, !LocalBroker.portIsFree(wanted) {
            logger.warning("port \(wanted) is taken; the local broker uses a free port")
            port = nil
        }
        let broker = try LocalBroker(binary: binary, port: port, logger: logger)
        try broker.start()
        return (configuration.kafka.merging(["bootstrap.servers": broker.bootstrapServers]), broker)
    }
}

enum Usage {
    static let main = """
    hub – the e-government Kafka integration hub

    Usage: hub [--config FILE] COMMAND [options]

    Commands:
      version                 hub and librdkafka versions
      up                      all-in-one: local broker (unless Kafka is configured), topics, every service
      topics apply|list|describe NAME
                              create the declared topics, list the cluster's, describe one
      produce TOPIC [VALUE]   send one record (or one per stdin line) with --key and --header k=v
      consume TOPIC           print records with their headers (--group, --count, --timeout, --from-beginning)
      relay --from A --to B   transactional consume -> produce stage (what every service's Kafka shell is)
      catalogue load FILE|list
                              publish the service catalogue, or list it
      ingest                  run status ingestion alone
      status show AGENCY/CASE the case's current state and time per step
      report cases --from D --to D [--by service,channel,agency] [--format table|csv|json]
                              the MK 399 case figures
      clients set|show|load|forget
                              client profiles: channels, contacts, consent, quiet hours (keyed by pseudonym)
      templates load [FILE]|list
                              notification templates
      notify run|show ID|case AGENCY/CASE
                              run the notification fan-out alone; what became of a notice or a case's notices
      channel run eaddress|email|sms|push
                              run a channel worker (notify.<channel> -> its gateway; receipts on notify.receipts)
      sandbox eaddress|sms|push|dagr
                              emulators and local gateways for tests and integrators (Kannel with a fake operator for sms)
      lookup TYPE --param k=v --purpose CODE --as AGENCY/SYSTEM
                              ask the state data platform over the bus; lookup audit|policy load|policy list|run
      dlq list|show|stats|replay|purge
                              dead letters and quarantine: what failed and why, replay, set aside
      bench passthrough       consume -> produce throughput beside a kcat pipe (--records N, --json)

    Configuration: a file of `key = value` lines (--config or HUB_CONFIG) and HUB_* environment variables;
    kafka.* keys pass to librdkafka (e.g. HUB_BOOTSTRAP_SERVERS=host:9092). `hub COMMAND --help` for details.
    """
}
