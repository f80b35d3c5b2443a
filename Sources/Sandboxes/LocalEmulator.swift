import Foundation
import HTTPServer
import Synchronization

/// An emulator of a gateway or register that a local hub (`hub up`) runs beside its services.
public protocol LocalEmulator: Sendable {
    func start() throws
    func stop()
    var baseURL: String { get }
}

extension EAddressMailbox: LocalEmulator {}
extension PushGateway: LocalEmulator {}
extension DAGRRegister: LocalEmulator {}

/// The HTTP server an emulator answers on.
func emulatorServer(host: String, port: Int, router: HTTPRouter) -> HTTPServer {
    var configuration = HTTPServerConfiguration()
    configuration.host = host
    configuration.port = port
    return HTTPServer(configuration: configuration, router: router)
}

/// How an emulator plays a slow gateway: its routes answer on the connection's own thread
/// (`HTTPRouter.registerBlocking`), so they sleep there, in short slices, and stop sleeping
/// as soon as the emulator stops (a test's "hanging gateway" must not hold up its shutdown).
final class EmulatorPause: Sendable {
    private let stopped = Atomic<Bool>(false)

    func sleep(_ latency: Duration) {
        let end = ContinuousClock.now + latency
        while !stopped.load(ordering: .relaxed) {
            let left = end - ContinuousClock.now
            guard left > .zero else { return }
            Thread.sleep(forTimeInterval: min(0.01, left / .seconds(1)))
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}

/// An emulator's own reference for what it accepted: the prefix and the number zero-padded to eight digits,
/// `EA-00000042` (by hand: `String(format:)` showed in the bench at thousands a second).
func emulatorReference(_ prefix: String, _ number: Int) -> String {
    let digits = String(number)
    return prefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
