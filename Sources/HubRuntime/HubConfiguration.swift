import Foundation
import HubLogging
import Kafka

/// The hub's configuration: one file of `key = value` lines plus `HUB_*`
/// environment overrides. `kafka.*` keys pass to librdkafka untouched
/// (`kafka.bootstrap.servers`, `kafka.security.protocol`, `kafka.sasl.*`);
/// every other key must be one the hub knows, or loading fails naming it.
public struct HubConfiguration: Sendable, Equatable {
    /// Every non-Kafka key, with its default and what it means (for `hub config keys` and docs).
    public static let knownKeys: [String: (defaultValue: String, meaning: String)] = [
        "log.level": ("info", "trace, debug, info, notice, warning, error or critical"),
        "http.host": ("127.0.0.1", "address of the metrics/health HTTP server"),
        "http.port": ("8080", "port of the metrics/health HTTP server; 0 picks a free one"),
        "hub.instance": ("local", "this instance's name: transactional ids and client ids derive from it"),
        "hub.agencies": ("VID,VSAA,PMLP,CSDD,RIGA", "agencies whose status.events.<AGENCY> topics `topics apply` creates"),
        "hub.state.dir": ("", "local directory for crash journals (poison-record detection); empty means <temp dir>/hub-state"),
        "hub.poison.max.crashes": ("3", "crashes in a row with one record in hand before it is dead-lettered as poison"),
        "hub.pseudonym.secret": (developmentPseudonymSecret, "secret of the keyed hash that turns person and company codes into client keys"),
        "ingest.group": ("hub-status-ingest", "consumer group shared by every status-ingest instance"),
        "ingest.agencies": ("", "comma-separated agencies whose status.events.<AGENCY> topics this instance reads; empty means every agency"),
        "ingest.max.event.bytes": ("65536", "larger status events are dead-lettered as too_large"),
        "notify.group": ("hub-notify-fanout", "consumer group shared by every notification fan-out instance"),
        "notify.memory.days": ("14", "how long the fan-out remembers each notice it made (a request seen again within it makes nothing twice; twice this at most) and how much of notify.receipts it reads when it starts"),
        "notify.sms.max.segments": ("3", "longer SMS texts are cut (at a word, ending in …) to fit this many segments"),
        "notify.fallback.official": ("true", "whether a content-free notice of an official message moves to the next channel after a permanent failure (the e-address delivery never does)"),
        "notify.fallback.informational": ("true", "whether an informational notice moves to the next preferred channel after a permanent failure"),
        "channel.eaddress.url": ("http://127.0.0.1:8090", "base URL of the e-address delivery API (docs/connectors/eaddress.md); `hub up` on a local broker runs the emulator there"),
        "channel.eaddress.token": ("", "bearer token for the e-address delivery API; empty sends none"),
        "channel.eaddress.sender": ("HUB", "sender code used when a notice's request names no agency"),
        "channel.eaddress.rate": ("0", "sends per second to the e-address API (token bucket); 0 is unlimited"),
        "channel.email.url": ("smtp://127.0.0.1:2525", "the SMTP relay: smtp://host:port (STARTTLS when offered) or smtps://host:port"),
        "channel.email.from": ("pazinojumi@hub.gov.lv", "the sender address of notices by e-mail"),
        "channel.email.user": ("", "AUTH user at the relay; empty sends no AUTH"),
        "channel.email.password": ("", "AUTH password at the relay"),
        "channel.email.require.tls": ("true", "refuse to send unless the relay offers STARTTLS (or the URL is smtps://)"),
        "channel.email.ca.file": ("", "CA file to verify the relay's certificate with; empty uses the system's"),
        "channel.email.rate": ("0", "sends per second to the relay (token bucket); 0 is unlimited"),
        "channel.sms.gateways": ("http://hub:hub@127.0.0.1:13013/cgi-bin/sendsms", "Kannel sendsms URLs, the sendsms-user as the URL's user and password, comma-separated, each optionally followed by *WEIGHT; two or more share traffic by weight and fail over (docs/connectors/sms.md)"),
        "channel.sms.sender": ("Latvija.lv", "the SMS sender id shown on the phone (at most 11 letters and digits)"),
        "channel.sms.callback.url": ("http://127.0.0.1:8080/callbacks/kannel", "where Kannel calls back with delivery reports: this worker's HTTP server's /callbacks/kannel; empty asks for none"),
        "channel.sms.rate": ("0", "SMS per second to the gateways together (token bucket); 0 is unlimited"),
        "channel.sms.failover.threshold": ("0.5", "share of failed calls among a gateway's last 20 after which its traffic moves to the others"),
        "channel.sms.failover.cooldown.seconds": ("30", "how long a failing SMS gateway gets no traffic before a trial"),
        "channel.push.url": ("http://127.0.0.1:8091", "base URL of the push gateway API (docs/connectors/push.md); `hub up` on a local broker runs the emulator there"),
        "channel.push.key": ("", "API key for the push gateway, sent as a bearer token; empty sends none"),
        "channel.push.rate": ("0", "pushes per second to the push gateway (token bucket); 0 is unlimited"),
        "dagr.url": ("http://127.0.0.1:8092", "base URL of the DAGR-style register API (docs/lookups.md); `hub up` on a local broker runs the emulator there"),
        "dagr.key": ("", "API key for the register API, sent as a bearer token; empty sends none"),
        "dagr.connections": ("16", "calls in flight to the register at most; more wait their turn"),
        "dagr.inflight": ("64", "lookup requests the service handles side by side"),
        "dagr.changes.poll.ms": ("5000", "how often the change feed asks the register's change list for new changes (milliseconds)"),
        "channel.inflight": ("8", "notices a channel worker has with its gateway at once: the connector's connections (different recipients; one recipient's notices go in order)"),
        "channel.prepared": ("64", "notices the SMS and e-mail workers hold at once with their sending receipt written, ready for a free connection (at least channel.inflight): the most a crash leaves uncertain, for gateways that cannot be asked about a notice; the sending receipts go to the broker in groups of half this many"),
        "channel.push.prepared": ("256", "notices the push worker holds at once with their sending receipt written (at least channel.inflight); after a crash it asks the gateway about each, so more than channel.prepared"),
        "channel.eaddress.prepared": ("256", "notices the e-address worker holds at once with their sending receipt written (at least channel.inflight); after a crash it asks the mailbox about each, so more than channel.prepared"),
        "channel.circuit.failures": ("5", "temporary failures in a row after which a channel worker stops calling its gateway for a while"),
        "channel.circuit.open.seconds": ("30", "how long the circuit stays open before one trial call"),
        "channel.retry.ladder": ("10s,1m,10m", "retry delays of the channel workers for time-outs, 5xx and 429; then technical-failure and a dead letter"),
        "channel.retry.jitter": ("0.2", "each channel retry waits up to this share longer than its ladder step, at random, so notices that failed together come back spread out"),
        "channel.confirm.timeout.seconds": ("3600", "a notice the gateway accepted but has not confirmed by then is reported temporary-failure (unconfirmed)"),
        "channel.ledger.days": ("7", "how long a channel worker remembers each notice's outcome, so one seen again is not sent twice, and how much of notify.receipts it reads when it starts (at least the confirmation time-out)"),
        "operator.name": ("", "who runs `hub dlq replay` and `purge`, for the audit record; empty means the OS user"),
        "topics.replication.factor": ("-1", "replication factor for created topics; -1 is the broker's default"),
        "topics.production": ("false", "true adds min.insync.replicas to created topics"),
    ]

    /// Only for a local hub: a cluster must be given a secret of its own.
    public static let developmentPseudonymSecret = "local-development-only"

    /// Environment variables that belong to tools, not to the configuration.
    static let reservedEnvironment: Set<String> = ["HUB_CONFIG", "HUB_TEST_BOOTSTRAP", "HUB_TANSU", "HUB_BROKER_LOG"]

    public private(set) var values: [String: String]

    public init(values: [String: String] = [:]) throws(ConfigurationError) {
        for key in values.keys { try Self.check(key: key, origin: "values") }
        self.values = values
    }

    /// Loads `file` (when given) and lays the environment over it.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> HubConfiguration {
        var values: [String: String] = [:]
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError(key: nil, message: "cannot read configuration file \(file)")
            }
            values = try parse(text, origin: file)
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("HUB_") {
            if reservedEnvironment.contains(name) { continue }
            let key = environmentKey(name)
            try check(key: key, origin: "environment variable \(name)")
            values[key] = value
        }
        return try HubConfiguration(values: values)
    }

    /// `HUB_LOG_LEVEL` -> `log.level`; `HUB_KAFKA_BOOTSTRAP_SERVERS` ->
    /// `kafka.bootstrap.servers`; `HUB_BOOTSTRAP_SERVERS` is a short alias.
    static func environmentKey(_ name: String) -> String {
        let key = name.dropFirst(4).lowercased().replacingOccurrences(of: "_", with: ".")
        return key == "bootstrap.servers" ? "kafka.bootstrap.servers" : key
    }

    static func parse(_ text: String, origin: String) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError(key: nil, message: "\(origin):\(index + 1): expected 'key = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            try check(key: key, origin: "\(origin):\(index + 1)")
            values[key] = value
        }
        return values
    }

    static func check(key: String, origin: String) throws(ConfigurationError) {
        if key.hasPrefix("kafka."), key.count > 6 { return }
        if knownKeys[key] == nil {
            throw ConfigurationError(key: key, message: "unknown configuration key '\(key)' (\(origin))")
        }
    }

    public subscript(key: String) -> String? { values[key] ?? Self.knownKeys[key]?.defaultValue }

    public func setting(_ key: String, to value: String) throws(ConfigurationError) -> HubConfiguration {
        try Self.check(key: key, origin: "override")
        var copy = self
        copy.values[key] = value
        return copy
    }

    /// librdkafka properties: the `kafka.` keys without their prefix.
    public var kafka: KafkaClientProperties {
        KafkaClientProperties(Dictionary(uniqueKeysWithValues: values.filter { $0.key.hasPrefix("kafka.") }
            .map { (String($0.key.dropFirst(6)), $0.value) }))
    }

    public var bootstrapServers: String? { values["kafka.bootstrap.servers"] }

    public func logLevel() throws(ConfigurationError) -> LogLevel {
        guard let level = LogLevel(name: self["log.level"]!) else {
            throw ConfigurationError(key: "log.level", message: "log.level must be one of \(LogLevel.allCases.map(\.description).joined(separator: ", "))")
        }
        return level
    }

    public func integer(_ key: String) throws(ConfigurationError) -> Int {
        guard let text = self[key], let value = Int(text) else {
            throw ConfigurationError(key: key, message: "\(key) must be an integer, got '\(self[key] ?? "")'")
        }
        return value
    }

    /// Where stages keep crash journals, and how many crashes make a record poison.
    public func crashJournal() throws(ConfigurationError) -> CrashJournal.Settings {
        let maxCrashes = try integer("hub.poison.max.crashes")
        guard maxCrashes >= 1 else { throw ConfigurationError(key: "hub.poison.max.crashes", message: "hub.poison.max.crashes must be at least 1") }
        let directory = self["hub.state.dir"]!.isEmpty
            ? (NSTemporaryDirectory() as NSString).appendingPathComponent("hub-state") : self["hub.state.dir"]!
        return CrashJournal.Settings(directory: directory, maxCrashes: maxCrashes)
    }

    public var agencies: [String] { list("hub.agencies") }

    /// A comma-separated value as a list, blanks dropped.
    public func list(_ key: String) -> [String] {
        (self[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A configuration problem, naming the key where there is one.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String?
    public let message: String
    public var description: String { message }
}
