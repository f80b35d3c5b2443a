import DeadLetterService
import DeadLetters
import Foundation
import HubLogging
import Kafka
import Topics

/// `hub dlq`: what failed, why, and is it fixed; replay and purge, audited.
enum DeadLetterCommands {
    static let help = """
    Usage: hub dlq list   [FILTERS] [--limit N] [--json]      dead letters and quarantined records, oldest first
           hub dlq show ID [--json] [--reveal]                  one record, headers decoded (values masked unless --reveal)
           hub dlq stats  [FILTERS] [--json]                    counts by origin, reason, hour and state
           hub dlq replay [FILTERS] [--to TOPIC] [--dry-run] [--rate N] [--limit N] [--again]
                                                                send the originals back (open ones; --again: replayed ones too)
           hub dlq purge  [FILTERS] [--dry-run] [--yes]         set aside (hidden from list; kept on the topic)
    FILTERS: --topic ORIGIN_TOPIC --service S --reason CODE --since T --until T --key K --state open,replayed,purged|all
    T is RFC 3339 (2026-11-23T10:00:00Z), a date (2026-11-23) or an age (30m, 6h, 2d).
    ID is <dead-letter topic>/<partition>/<offset>, as list prints it.
    """

    static let filterOptions: Set<String> = ["topic", "service", "reason", "since", "until", "key", "state"]

    static func run(_ words: [String]) async throws {
        let arguments = try Arguments(words, valued: filterOptions.union(["config", "limit", "to", "rate"]),
                                      switches: ["json", "dry-run", "yes", "again", "reveal"])
        guard !arguments.has("help"), let command = arguments.positionals.first else { print(help); return }
        let context = try HubContext(arguments: arguments)
        let client = try context.requireKafka()
        var filter = try self.filter(arguments)
        let limit = arguments.value("limit") != nil ? try arguments.integer("limit", default: 0) : nil
        let operatorName = Reprocessor.operatorName(configured: context.configuration["operator.name"])
        // Replay and purge fence a predecessor before reading the index, so its committed marks are all seen.
        let reprocessor = ["replay", "purge"].contains(command) ? Reprocessor(client: client, logger: context.logger) : nil
        try await reprocessor?.fence()
        var index = try await DeadLetterStore.load(client: client, logger: context.logger)
        switch command {
        case "list":
            let letters = index.query(filter, limit: limit)
            if arguments.has("json") { try printJSON(letters.map { ListedLetter($0, index: index) }); return }
            printTable(letters, index: index)
        case "show":
            guard arguments.positionals.count == 2 else { throw UsageError("dlq show needs an ID\n\(help)") }
            guard let letter = index.letter(id: arguments.positionals[1]) else { throw UsageError("no dead letter \(arguments.positionals[1])") }
            show(letter, state: index.states[letter.id], json: arguments.has("json"), reveal: arguments.has("reveal"))
        case "stats":
            let stats = index.stats(filter)
            if arguments.has("json") { try printJSON(stats); return }
            printStats(stats)
        case "replay":
            if arguments.has("again") && filter.resolutions == nil { filter.resolutions = [.open, .replayed] }
            var options = Reprocessor.Options(operatorName: operatorName)
            options.to = arguments.value("to")
            options.dryRun = arguments.has("dry-run")
            options.limit = limit
            options.ratePerSecond = try arguments.value("rate").map { text in
                guard let rate = Double(text.replacingOccurrences(of: "/s", with: "")), rate > 0 else { throw UsageError("--rate must be records per second, e.g. 50") }
                return rate
            }
            let outcome = try await reprocessor!.replay(&index, filter: filter, options: options)
            let verb = options.dryRun ? "would replay" : "replayed"
            print("\(verb) \(options.dryRun ? outcome.matched : outcome.done) of \(outcome.matched) matching dead letters"
                  + (options.dryRun ? "" : " in \(String(format: "%.2f", outcome.seconds)) s") + " (operator \(operatorName); audited on \(HubTopics.hubAudit.name))"
                  + (outcome.matched == 0 ? "; the index read holds \(index.letters.count) dead letters in all" : ""))
            await reprocessor!.close()
            if options.dryRun { printTable(index.query(filter.openUnlessStatesGiven, limit: limit), index: index) }
        case "purge":
            var options = Reprocessor.Options(operatorName: operatorName)
            options.dryRun = arguments.has("dry-run")
            options.limit = limit
            let matched = index.query(filter, limit: limit).count
            if !options.dryRun && !arguments.has("yes") {
                print("purge \(matched) dead letters? They stay on the topic but leave the list. Type 'yes': ", terminator: "")
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else { print("nothing purged"); return }
            }
            let outcome = try await reprocessor!.purge(&index, filter: filter, options: options)
            await reprocessor!.close()
            print("\(options.dryRun ? "would purge" : "purged") \(options.dryRun ? outcome.matched : outcome.done) dead letters (operator \(operatorName); audited on \(HubTopics.hubAudit.name))")
        default:
            throw UsageError("unknown dlq command '\(command)'\n\(help)")
        }
    }

    static func filter(_ arguments: Arguments) throws -> DeadLetterFilter {
        var filter = DeadLetterFilter(topic: arguments.value("topic"), service: arguments.value("service"), reason: arguments.value("reason"),
                                      key: arguments.value("key"))
        filter.since = try arguments.value("since").map { try time($0, option: "since") }
        filter.until = try arguments.value("until").map { try time($0, option: "until") }
        if let state = arguments.value("state") {
            if state == "all" { filter.resolutions = Set(DeadLetterState.Resolution.allCases) } else {
                filter.resolutions = try Set(state.split(separator: ",").map { word in
                    guard let resolution = DeadLetterState.Resolution(rawValue: String(word)) else {
                        throw UsageError("--state takes open, replayed, purged or all")
                    }
                    return resolution
                })
            }
        }
        return filter
    }

    /// RFC 3339, a bare date (midnight UTC) or an age before now (`30m`, `6h`, `2d`).
    static func time(_ text: String, option: String, now: Date = Date()) throws -> Date {
        if let date = RFC3339Timestamp.parse(text) { return date }
        if let date = RFC3339Timestamp.parse(text + "T00:00:00Z") { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let unit = text.last, let scale = units[unit], let number = Double(text.dropLast()), number >= 0 {
            return now.addingTimeInterval(-number * scale)
        }
        throw UsageError("--\(option) '\(text)' is not a time: use RFC 3339, a date (2026-11-23) or an age (30m, 6h, 2d)")
    }

    static func printTable(_ letters: [DeadLetter], index: DeadLetterIndex) {
        print(pad("ID", 28) + pad("DEAD-LETTERED (UTC)", 21) + pad("ORIGIN", 26) + pad("REASON", 30) + pad("TRIES", 6) + pad("STATE", 9) + pad("KEY", 24) + "VALUE")
        for letter in letters {
            print(pad(letter.id, 28) + pad(String(RFC3339Timestamp.format(letter.deadLetteredAt).prefix(19)), 21)
                  + pad("\(letter.originTopic)", 26) + pad("\(letter.errorClass)/\(letter.code)", 30) + pad(String(letter.attempts), 6)
                  + pad(index.resolution(of: letter.id).rawValue, 9) + pad(Mask.identifiers(in: letter.keyString ?? "(null)"), 24)
                  + ValuePreview.of(letter.value))
        }
        print(letters.count == 1 ? "1 dead letter" : "\(letters.count) dead letters")
    }

    static func show(_ letter: DeadLetter, state: DeadLetterState?, json: Bool, reveal: Bool) {
        let value = reveal ? letter.value.map { String(decoding: $0, as: UTF8.self) } : letter.value.map { Mask.identifiers(in: String(decoding: $0, as: UTF8.self)) }
        var fields: [(String, String)] = [
            ("id", letter.id), ("dead-letter topic", letter.topic), ("state", state?.resolution.rawValue ?? "open"),
            ("origin", "\(letter.originTopic) partition \(letter.originPartition.map(String.init) ?? "?") offset \(letter.originOffset.map(String.init) ?? "?")"),
            ("origin timestamp", letter.originTimestampMilliseconds.map { RFC3339Timestamp.format(Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "-"),
            ("service / stage", "\(letter.service) / \(letter.stage)"), ("class", letter.errorClass), ("code", letter.code),
            ("message", letter.message), ("path", letter.path ?? "-"), ("attempts", String(letter.attempts)),
            ("first failure", letter.firstFailure.map(RFC3339Timestamp.format) ?? "-"), ("last failure", letter.lastFailure.map(RFC3339Timestamp.format) ?? "-"),
            ("hub version", letter.hubVersion ?? "-"), ("key", Mask.identifiers(in: letter.keyString ?? "(null)")),
        ]
        if let state, state.resolution != .open {
            fields.append(("resolved", "\(state.resolution.rawValue) by \(state.by) at \(RFC3339Timestamp.format(state.at))"
                           + (state.replayedTo.map { " to \($0), \(state.replays) time(s)" } ?? "")))
        }
        for header in letter.originalHeaders { fields.append(("header \(header.key)", header.stringValue ?? "(\(header.value?.count ?? 0) bytes)")) }
        fields.append(("value\(reveal ? "" : " (identifiers masked)")", value ?? "(null)"))
        if json {
            print(String(decoding: (try? JSONSerialization.data(withJSONObject: Dictionary(fields, uniquingKeysWith: { $1 }), options: [.sortedKeys, .prettyPrinted])) ?? Data(), as: UTF8.self))
            return
        }
        let width = (fields.map(\.0.count).max() ?? 0) + 2
        for (name, text) in fields { print(pad(name, width) + text) }
    }

    static func printStats(_ stats: DeadLetterStats) {
        print(stats.total == 1 ? "1 dead letter" : "\(stats.total) dead letters")
        for (title, counts) in [("by origin", stats.byOrigin), ("by reason", stats.byReason), ("by state", stats.byResolution)] {
            print("\n\(title):")
            for (name, count) in counts.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) { print("  " + pad(String(count), 8) + name) }
        }
        print("\nby hour (UTC):")
        for (hour, count) in stats.byHour.sorted(by: { $0.key < $1.key }) { print("  " + pad(hour + ":00", 18) + String(count)) }
    }

    static func printJSON<Value: Encodable>(_ value: Value) throws {
        let encoder = RecordJSON.foundationEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width - 1)) + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}

/// One row of `hub dlq list --json`; keys and values masked as in the table.
struct ListedLetter: Encodable {
    let id: String, deadLetteredAt: Date, originTopic: String, service: String, stage: String
    let errorClass: String, code: String, message: String, attempts: Int, state: String, key: String, preview: String

    init(_ letter: DeadLetter, index: DeadLetterIndex) {
        id = letter.id
        deadLetteredAt = letter.deadLetteredAt
        originTopic = letter.originTopic
        service = letter.service
        stage = letter.stage
        errorClass = letter.errorClass
        code = letter.code
        message = letter.message
        attempts = letter.attempts
        state = index.resolution(of: letter.id).rawValue
        key = Mask.identifiers(in: letter.keyString ?? "")
        preview = ValuePreview.of(letter.value)
    }
}
