import Foundation
import Locking
import Topics

/// Several gateways behind one channel (`GatewayPool` decides which). A send
/// refused for a reason of the gateway's own (down, 5xx) is offered once to
/// another gateway at once: nothing was sent, so nothing can double. A
/// time-out is not, since the first gateway may have taken the message.
/// The gateway's name starts the reference in receipts (`gw2:…`, unless the connector's own reference names it already).
public final class PooledConnector: ChannelConnector {
    public struct Gateway: Sendable {
        public let name: String
        public let weight: Int
        public let connector: any ChannelConnector
        public init(name: String, weight: Int, connector: any ChannelConnector) {
            self.name = name
            self.weight = weight
            self.connector = connector
        }
    }

    public let channel: NotifyChannel
    public let gateways: [Gateway]
    private let pool: PosixMutex<GatewayPool>
    /// Sends per gateway, for metrics and tests.
    private let counts: PosixMutex<[String: Int]>

    public init(_ gateways: [Gateway], settings: GatewayPool.Settings = .init()) {
        precondition(!gateways.isEmpty, "a pooled connector needs a gateway")
        channel = gateways[0].connector.channel
        self.gateways = gateways
        pool = PosixMutex(GatewayPool(gateways.map { ($0.name, $0.weight) }, settings: settings))
        counts = PosixMutex([:])
    }

    public var canConfirm: Bool { gateways.allSatisfy(\.connector.canConfirm) }
    public var confirmsByCallback: Bool { gateways.contains { $0.connector.confirmsByCallback } }

    public func send(_ notice: Notice) async -> GatewayOutcome {
        let first = pool.withLock { $0.pick(at: Date()) }
        let outcome = await send(notice, via: first)
        guard case .temporary(let code, _) = outcome, code != "timeout", gateways.count > 1 else { return outcome }
        let second = pool.withLock { $0.pick(at: Date(), avoiding: first) }
        guard second != first else { return outcome }
        return await send(notice, via: second)
    }

    private func send(_ notice: Notice, via index: Int) async -> GatewayOutcome {
        let gateway = gateways[index]
        let outcome = await gateway.connector.send(notice)
        pool.withLock { $0.record(index, success: !outcome.isTemporary, at: Date()) }
        counts.withLock { $0[gateway.name, default: 0] += 1 }
        func named(_ reference: String) -> String { reference.hasPrefix(gateway.name) ? reference : "\(gateway.name):\(reference)" }
        switch outcome {
        case .accepted(let reference): return .accepted(reference: named(reference))
        case .delivered(let reference, let at): return .delivered(reference: named(reference), at: at)
        default: return outcome
        }
    }

    public func status(of notificationId: UUID) async -> GatewayOutcome? {
        for gateway in gateways {
            if let known = await gateway.connector.status(of: notificationId) { return known }
        }
        return nil
    }

    /// Calls made to each gateway so far (including failed ones).
    public var callsByGateway: [String: Int] { counts.withLock { $0 } }

    /// Each gateway's health now.
    public var health: [String: GatewayPool.Health] {
        pool.withLock { pool in Dictionary(uniqueKeysWithValues: pool.names.enumerated().map { ($1, pool.health($0, at: Date())) }) }
    }
}
