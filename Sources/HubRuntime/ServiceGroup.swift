import Dispatch
import Foundation
import HubLogging

/// Runs services together, as swift-service-lifecycle's group does: all
/// start, and on SIGTERM/SIGINT (or one failing) they are stopped in reverse
/// order, each finishing its in-flight work before the one before it stops.
public struct ServiceGroup: Sendable {
    public let services: [any HubService]
    public let logger: Logger
    /// Signals that start a graceful shutdown; empty in tests.
    public let signals: [Int32]
    /// The level of the starting, stopped and shutting-down lines: `.debug` for a group inside a
    /// service (the fan-out's two stages), whose own group already says so.
    public let lifecycleLevel: LogLevel

    public init(services: [any HubService], logger: Logger, signals: [Int32] = [SIGTERM, SIGINT], lifecycleLevel: LogLevel = .info) {
        self.services = services
        self.logger = logger.named("service-group")
        self.signals = signals
        self.lifecycleLevel = lifecycleLevel
    }

    /// Returns when every service has stopped; rethrows the first failure.
    public func run(shutdown: ShutdownSignal = ShutdownSignal()) async throws {
        let stops = services.map { _ in ShutdownSignal() }
        let sources = installSignalHandlers(shutdown)
        defer { for source in sources { source.cancel() } }
        let failures = FailureBox()
        let logger = self.logger, level = lifecycleLevel
        await withTaskGroup(of: Void.self) { group in
            for (index, service) in services.enumerated() {
                group.addTask {
                    logger.log(level, "service starting", ["service": service.name])
                    do {
                        try await service.run(shutdown: stops[index])
                        logger.log(level, "service stopped", ["service": service.name])
                    } catch {
                        logger.error("service failed", ["service": service.name, "error": String(describing: error)])
                        failures.record(error)
                    }
                    // Any service ending (failure or not) stops the hub.
                    shutdown.trigger()
                }
            }
            group.addTask {
                await shutdown.wait()
                logger.log(level == .info ? .notice : level, "shutting down")
                // Reverse order: producers of work stop before what they depend on.
                for (index, service) in services.enumerated().reversed() {
                    stops[index].trigger()
                    logger.debug("stop requested", ["service": service.name])
                }
            }
            await group.waitForAll()
        }
        if let error = failures.first { throw error }
    }

    private func installSignalHandlers(_ shutdown: ShutdownSignal) -> [DispatchSourceSignal] {
        signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let logger = self.logger
            source.setEventHandler {
                logger.notice("signal received", ["signal": number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : String(number)])
                shutdown.trigger()
            }
            source.resume()
            return source
        }
    }
}

private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func record(_ error: any Error) { lock.lock(); errors.append(error); lock.unlock() }
    var first: (any Error)? { lock.lock(); defer { lock.unlock() }; return errors.first }
}
