import HTTPServer

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
