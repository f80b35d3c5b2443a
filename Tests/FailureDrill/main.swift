// A small service on the shared failure path, for tests that need a real
// process to crash: it copies records from DRILL_INPUT to DRILL_OUTPUT, and
// by value it crashes ("crash"), fails for good ("bad") or fails while the
// attempt is below N ("flaky-N"). Not part of the hub.
import DeadLetters
import Foundation
import HubLogging
import HubRuntime
import Kafka

let environment = ProcessInfo.processInfo.environment
func setting(_ name: String) -> String {
    guard let value = environment[name], !value.isEmpty else { fatalError("failure-drill needs \(name)") }
    return value
}
let input = setting("DRILL_INPUT"), output = setting("DRILL_OUTPUT"), instance = setting("DRILL_INSTANCE")
let logger = Logger(component: "failure-drill", threshold: .info)
let routing = FailureRouting(service: "failure-drill-\(instance)", ladder: try RetryLadder(parsing: environment["DRILL_LADDER"] ?? "none"),
                             hubVersion: "drill")
let stage = HandlerStage(
    // A short session: after a crash the restarted drill need not wait long for its dead predecessor to leave the group.
    routing: routing, client: KafkaClientProperties(["bootstrap.servers": setting("DRILL_BOOTSTRAP"), "session.timeout.ms": "6000"]), instance: instance,
    groupID: "failure-drill-\(instance)", subscription: .topics([input]),
    crashes: CrashJournal.Settings(directory: setting("DRILL_STATE_DIR"), maxCrashes: Int(environment["DRILL_MAX_CRASHES"] ?? "3") ?? 3),
    metrics: MetricsRegistry(), logger: logger
) { record, attempt in
    let value = record.valueString ?? ""
    if value == "crash" { fatalError("drill: crashing on purpose") }
    if value == "bad" { throw RecordFailure(.permanent, code: "drill_bad", message: "bad on purpose", stage: "drill") }
    if value.hasPrefix("flaky-"), let failures = Int(value.dropFirst(6)), attempt <= failures {
        throw RecordFailure(.retriable, code: "drill_flaky", message: "flaky on purpose", stage: "drill")
    }
    return [KafkaProducerRecord(topic: output, key: record.key, value: record.value, headers: record.headers)]
}
try await ServiceGroup(services: [stage], logger: logger).run()
