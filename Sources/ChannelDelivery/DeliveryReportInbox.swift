import Locking

/// Where a gateway's call-backs (`DeliveryReport`s) meet the channel worker
/// that turns them into receipts. The HTTP route that receives a call-back
/// hands it here and answers the gateway by what comes back: `recorded` (or
/// `unknown`, which retrying will not change) is a 200; `notReady` (no
/// worker attached yet, or the receipt could not be written) is a 503, so
/// the gateway calls again later.
public final class DeliveryReportInbox: Sendable {
    public enum Answer: Sendable, Hashable {
        case recorded
        /// No notice of this id is awaiting an outcome here (already final, or never sent by this worker).
        case unknown
        case notReady
    }

    public typealias Sink = @Sendable (DeliveryReport) async -> Answer
    private let sink = PosixMutex<Sink?>(nil)

    public init() {}

    public func attach(_ sink: @escaping Sink) { self.sink.withLock { $0 = sink } }
    public func detach() { sink.withLock { $0 = nil } }

    public func receive(_ report: DeliveryReport) async -> Answer {
        guard let sink = sink.withLock({ $0 }) else { return .notReady }
        return await sink(report)
    }
}
