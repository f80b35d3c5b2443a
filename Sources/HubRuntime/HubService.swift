/// A long-running part of the hub (a Kafka stage, the HTTP server). `run`
/// returns after `shutdown` is triggered and its work is finished and
/// committed; throwing means the service failed and the group stops.
public protocol HubService: Sendable {
    var name: String { get }
    func run(shutdown: ShutdownSignal) async throws
}
