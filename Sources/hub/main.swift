import Foundation
import HubLogging
import Kafka

// Entry point: one binary, one subcommand per job (see Usage.main).

let words = Array(CommandLine.arguments.dropFirst())

func runCommand(_ words: [String]) async throws {
    guard let command = words.first, command != "--help", command != "help", command != "-h" else {
        print(Usage.main)
        return
    }
    let rest = Array(words.dropFirst())
    if command != "version" { try KafkaLibrary.requireSupportedVersion() }
    switch command {
    case "version": VersionCommand.run()
    case "up": try await UpCommand.run(rest)
    case "topics": try await TopicsCommand.run(rest)
    case "produce": try await ClientCommands.produce(rest)
    case "consume": try await ClientCommands.consume(rest)
    case "relay": try await ClientCommands.relay(rest)
    case "bench": try await BenchCommand.run(rest)
    case "catalogue": try await StatusCommands.catalogue(rest)
    case "ingest": try await StatusCommands.ingest(rest)
    case "status": try await StatusCommands.status(rest)
    case "report": try await ReportCommand.run(rest)
    case "dlq": try await DeadLetterCommands.run(rest)
    case "clients": try await NotifyCommands.clients(rest)
    case "templates": try await NotifyCommands.templates(rest)
    case "notify": try await NotifyCommands.notify(rest)
    case "sandbox": try await ChannelCommands.sandbox(rest)
    case "channel": try await ChannelCommands.channel(rest)
    case "lookup": try await LookupCommands.run(rest)
    default: throw UsageError("unknown command '\(command)'\n\n\(Usage.main)")
    }
}

do {
    try await runCommand(words)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("hub: \(error.description)\n".utf8))
    exit(2)
} catch let error as CocoaError where error.filePath != nil {
    // A file named on the command line (a catalogue, profiles, a policy) that cannot be read.
    let why = switch error.code {
    case .fileReadNoSuchFile, .fileNoSuchFile: "no such file"
    case .fileReadNoPermission: "permission denied"
    default: error.localizedDescription
    }
    FileHandle.standardError.write(Data("hub: cannot read \(error.filePath!): \(why)\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("hub: \(error)\n".utf8))
    exit(1)
}
