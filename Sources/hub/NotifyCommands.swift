import Foundation
import HubLogging
import HubRuntime
import Kafka
import Notifications
import NotificationService
import Topics

/// `hub clients`, `hub templates` and `hub notify`: client profiles, message
/// templates, and the notification fan-out with what became of each notice.
enum NotifyCommands {
    static let clientsHelp = """
    Usage: hub clients set (--person CODE | --company NUMBER) --channels sms,email,push,eaddress [--phone P] [--email E]
                           [--push-token T]... [--no-eaddress] [--language lv|en|ru] [--consent sms,email,push]
                           [--quiet 22:00-08:00] [--representative-person CODE]... [--opt-out CHANNEL]...
           hub clients show (--person CODE | --company NUMBER | --key KEY) [--reveal]
           hub clients load FILE      a JSON array of profiles ({"person": ..., "channels": [...], ...}; see docs/notifications.md)
           hub clients forget (--person CODE | --company NUMBER)
    Profiles go to clients.profiles keyed by the pseudonym of the code (hub.pseudonym.secret); the code itself is never sent.
    """

    static func clients(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "person", "company", "key", "channels", "phone", "email", "push-token", "language",
                                                      "consent", "quiet", "representative-person", "opt-out"],
                                      switches: ["no-eaddress", "reveal"])
        guard !arguments.has("help"), let command = arguments.positionals.first else { print(clientsHelp); return }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        let secret = context.pseudonymSecret
        func channels(_ text: String?) throws -> [NotifyChannel]? {
            try text.map { list in
                try list.split(separator: ",").map { word in
                    guard let channel = NotifyChannel(rawValue: word.trimmingCharacters(in: .whitespaces)) else {
                        throw UsageError("unknown channel '\(word)': eaddress, sms, email or push")
                    }
                    return channel
                }
            }
        }
        switch command {
        case "set":
            guard let chosen = try channels(arguments.value("channels")) else { throw UsageError("clients set needs --channels\n\(clientsHelp)") }
            let input = ProfileInput(
                person: arguments.value("person"), company: arguments.value("company"), channels: chosen, phone: arguments.value("phone"),
                email: arguments.value("email"), pushTokens: arguments.values("push-token"), eAddress: !arguments.has("no-eaddress"),
                language: arguments.value("language"), consent: try channels(arguments.value("consent")), quietHours: arguments.value("quiet"),
                representatives: arguments.values("representative-person").map { ProfileInput.ProfileParty(person: $0, company: nil) },
                optOuts: try arguments.values("opt-out").flatMap { try channels($0) ?? [] })
            let profile = try input.profile(secret: secret)
            _ = try await NotificationPublisher.publish(profiles: [profile], client: client, logger: context.logger)
            print("profile \(profile.clientKey) written to \(HubTopics.clientsProfiles.name)")
        case "load":
            guard arguments.positionals.count == 2 else { throw UsageError("clients load needs a FILE\n\(clientsHelp)") }
            let inputs = try JSONDecoder().decode([ProfileInput].self, from: Data(contentsOf: URL(fileURLWithPath: arguments.positionals[1])))
            let profiles = try inputs.enumerated().map { index, input in
                do { return try input.profile(secret: secret) } catch { throw UsageError("profile \(index + 1): \(error)") }
            }
            let count = try await NotificationPublisher.publish(profiles: profiles, client: client, logger: context.logger)
            print("wrote \(count) profiles to \(HubTopics.clientsProfiles.name)")
        case "show":
            let key = try arguments.value("key") ?? ProfileInput.key(person: arguments.value("person"), company: arguments.value("company"), secret: secret)
            let value = try await TopicSnapshot.latest(key: key, topic: HubTopics.clientsProfiles.name, client: client, logger: context.logger)
            guard let value, var profile = try? RecordJSON.decode(ClientProfile.self, from: Data(value)) else {
                print("no profile for \(key)"); return
            }
            if !arguments.has("reveal") {
                profile.contacts.phone = profile.contacts.phone.map(Mask.phone)
                profile.contacts.email = profile.contacts.email.map(Mask.email)
                profile.contacts.pushTokens = profile.contacts.pushTokens.map { String($0.prefix(4)) + "…" }
            }
            let encoder = RecordJSON.foundationEncoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: try encoder.encode(profile), as: UTF8.self))
            if !arguments.has("reveal") { print("(contacts masked; --reveal shows them)") }
        case "forget":
            let key = try ProfileInput.key(person: arguments.value("person"), company: arguments.value("company"), secret: secret)
            try await NotificationPublisher.forget(clientKey: key, client: client, logger: context.logger)
            print("profile \(key) forgotten (a tombstone on \(HubTopics.clientsProfiles.name))")
        default:
            throw UsageError("unknown clients command '\(command)'\n\(clientsHelp)")
        }
    }

    static let templatesHelp = """
    Usage: hub templates load [FILE]   check and publish templates to notify.templates (default: the shipped ones)
           hub templates list
    """

    static func templates(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config"], switches: [])
        guard !arguments.has("help"), let command = arguments.positionals.first else { print(templatesHelp); return }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        switch command {
        case "load":
            guard let file = arguments.positionals.dropFirst().first.map({ URL(fileURLWithPath: $0) }) ?? NotificationPublisher.sampleTemplates() else {
                throw UsageError("templates load needs a FILE (the shipped Topics/samples/notification-templates.json was not found)")
            }
            let count = try await NotificationPublisher.publish(templates: try NotificationPublisher.templates(in: file), client: client, logger: context.logger)
            print("published \(count) templates to \(HubTopics.notifyTemplates.name)")
        case "list":
            let values = try await TopicSnapshot.latestByKey(topic: HubTopics.notifyTemplates.name, client: client, logger: context.logger)
            for id in values.keys.sorted() { print(id) }
        default:
            throw UsageError("unknown templates command '\(command)'\n\(templatesHelp)")
        }
    }

    static let notifyHelp = """
    Usage: hub notify run [--http-port P]       run the notification fan-out alone
           hub notify show NOTIFICATION_ID      every receipt of one notification
           hub notify case AGENCY/CASE_ID       every notice for a case: recipient, channel, status history, times
    """

    static func notify(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: ["config", "http-port"], switches: ["json"])
        guard !arguments.has("help"), let command = arguments.positionals.first else { print(notifyHelp); return }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        switch command {
        case "run":
            let metrics = MetricsRegistry(), readiness = Readiness()
            var services: [any HubService] = [try makeFanOut(client: client, context: context, metrics: metrics, readiness: readiness)]
            if let port = arguments.value("http-port").flatMap(Int.init) {
                let ops = OpsHTTPService(host: context.configuration["http.host"]!, port: port, metrics: metrics, readiness: readiness)
                try ops.bind()
                services.insert(ops, at: 0)
            }
            try await ServiceGroup(services: services, logger: context.logger).run()
        case "show", "case":
            guard arguments.positionals.count == 2 else { throw UsageError("notify \(command) needs an argument\n\(notifyHelp)") }
            let wanted = arguments.positionals[1]
            var receipts: [NotificationReceipt] = []
            // The whole topic is read; only receipts that can be about the wanted one are decoded.
            let needles = command == "show" ? ReceiptHistory.needles(forNotification: wanted) : ReceiptHistory.needles(forCase: wanted)
            try await TopicSnapshot.read(topics: [HubTopics.notifyReceipts.name], client: client, logger: context.logger) { record in
                guard let value = record.value, needles.map({ ReceiptHistory.mentions(value, anyOf: $0) }) ?? true,
                      let receipt = try? RecordJSON.decode(NotificationReceipt.self, from: value) else { return }
                let matches = command == "show"
                    ? receipt.notificationId?.lowercasedString == wanted.lowercased() || receipt.fallbackTo?.lowercasedString == wanted.lowercased()
                    : "\(receipt.agency)/\(receipt.caseId)" == wanted
                if matches { receipts.append(receipt) }
            }
            receipts = ReceiptHistory.ordered(receipts)
            if arguments.has("json") {
                let encoder = RecordJSON.foundationEncoder()
                print(String(decoding: try encoder.encode(receipts), as: UTF8.self))
                return
            }
            if receipts.isEmpty { print("no receipts for \(wanted)"); return }
            print(pad("TIME (UTC)", 22) + pad("NOTIFICATION", 38) + pad("RECIPIENT", 36) + pad("CHANNEL", 10) + pad("CLASS", 15) + "STATUS")
            for receipt in receipts {
                let detail = [receipt.reason, receipt.fallbackTo.map { "-> \($0.lowercasedString)" }, receipt.gatewayReference].compactMap { $0 }
                print(pad(RFC3339Timestamp.format(receipt.at).prefix(19).description, 22) + pad(receipt.notificationId?.lowercasedString ?? "-", 38)
                      + pad(receipt.recipientKey, 36) + pad(receipt.channel?.rawValue ?? "-", 10) + pad(receipt.messageClass.rawValue, 15)
                      + receipt.status.rawValue + (detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))"))
            }
        default:
            throw UsageError("unknown notify command '\(command)'\n\(notifyHelp)")
        }
    }

    static func makeFanOut(client: KafkaClientProperties, context: HubContext, metrics: MetricsRegistry, readiness: Readiness) throws -> NotificationFanOutService {
        let configuration = context.configuration
        func flag(_ key: String) throws -> Bool {
            guard let value = configuration[key], ["true", "false"].contains(value) else { throw UsageError("\(key) must be true or false") }
            return value == "true"
        }
        let settings = NoticeRouter.Settings(smsMaxSegments: try configuration.integer("notify.sms.max.segments"),
                                             fallback: [.official: try flag("notify.fallback.official"),
                                                        .informational: try flag("notify.fallback.informational")])
        let days = try configuration.integer("notify.memory.days")
        guard days >= 1 else { throw UsageError("notify.memory.days must be at least 1") }
        return NotificationFanOutService(client: client, instance: configuration["hub.instance"]!, groupID: configuration["notify.group"]!,
                                         settings: settings, metrics: metrics, readiness: readiness, logger: context.logger,
                                         hubVersion: VersionCommand.hubVersion, crashes: try configuration.crashJournal(),
                                         memory: .seconds(days * 86_400))
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
