import Foundation
import Topics

/// The service definitions the hub knows, by id. An event is placed only
/// when its service exists, belongs to the publishing agency and, when it
/// names a step, defines that step; otherwise it is quarantined with why.
public struct ServiceCatalogue: Sendable {
    public private(set) var services: [String: ServiceDefinition] = [:]

    public init(_ definitions: [ServiceDefinition] = []) {
        for definition in definitions { services[definition.serviceId] = definition }
    }

    /// Adds or replaces a definition (the compacted topic's semantics).
    public mutating func upsert(_ definition: ServiceDefinition) {
        services[definition.serviceId] = definition
    }

    public func place(_ event: StatusEvent) -> Result<ServiceDefinition, QuarantineReason> {
        guard let service = services[event.serviceId] else {
            return .failure(QuarantineReason(code: .unknownService, message: "service \(event.serviceId) is not in the catalogue"))
        }
        guard service.ownerAgency == event.agency else {
            return .failure(QuarantineReason(code: .foreignService,
                                             message: "service \(event.serviceId) belongs to \(service.ownerAgency), not \(event.agency)"))
        }
        if let step = event.step, service.step(step) == nil {
            return .failure(QuarantineReason(code: .unknownStep, message: "service \(event.serviceId) defines no step \(step)"))
        }
        return .success(service)
    }

    /// Reads a catalogue file: a JSON array of service definitions.
    public static func load(contentsOf url: URL) throws -> ServiceCatalogue {
        let definitions = try JSONDecoder().decode([ServiceDefinition].self, from: Data(contentsOf: url))
        var seen = Set<String>()
        for definition in definitions where !seen.insert(definition.serviceId).inserted {
            throw CatalogueError(message: "service \(definition.serviceId) is defined twice")
        }
        return ServiceCatalogue(definitions)
    }
}

/// Why an event is kept aside rather than placed; replayable once fixed.
public struct QuarantineReason: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case unknownService = "unknown_service"
        case foreignService = "foreign_service"
        case unknownStep = "unknown_step"
        case illegalTransition = "illegal_transition"
    }

    public let code: Code
    public let message: String

    public var description: String { "\(code.rawValue): \(message)" }
}

public struct CatalogueError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
