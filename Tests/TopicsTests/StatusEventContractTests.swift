import Foundation
import Testing
@testable import Topics

/// A property of the status event schema at any depth, with whether its parent requires it.
struct SchemaProperty: Sendable, CustomTestStringConvertible {
    let path: [String]
    let isRequired: Bool
    var testDescription: String { TestSupport.jsonPath(path) + (isRequired ? " (required)" : " (optional)") }

    static func all(in schema: JSONSchema, under prefix: [String] = []) -> [SchemaProperty] {
        schema.properties.keys.sorted().flatMap { name -> [SchemaProperty] in
            let property = SchemaProperty(path: prefix + [name], isRequired: schema.requiredProperties.contains(name))
            return [property] + all(in: schema.properties[name]!, under: prefix + [name])
        }
    }
}

/// A single-field change to the example and the violation both the decoder and the validator must report.
struct Mutation: Sendable, CustomTestStringConvertible {
    let path: [String]
    let json: String
    let code: SchemaViolation.Code
    var testDescription: String { "\(TestSupport.jsonPath(path)) = \(json) -> \(code.rawValue)" }
}

@Suite("StatusEvent Swift type agrees with its JSON Schema")
struct StatusEventContractTests {
    static let properties = SchemaProperty.all(in: StatusEvent.jsonSchema)

    static let mutations: [Mutation] = [
        Mutation(path: ["status"], json: #""archived""#, code: .invalidValue),
        Mutation(path: ["channel"], json: "5", code: .wrongType),
        Mutation(path: ["caseId"], json: #""""#, code: .invalidValue),
        Mutation(path: ["caseId"], json: "\"\(String(repeating: "x", count: 129))\"", code: .invalidValue),
        Mutation(path: ["caseId"], json: "123", code: .wrongType),
        Mutation(path: ["agency"], json: #""vid""#, code: .invalidValue),
        Mutation(path: ["serviceId"], json: #""""#, code: .invalidValue),
        Mutation(path: ["eventId"], json: #""not-a-uuid""#, code: .invalidValue),
        Mutation(path: ["eventId"], json: "null", code: .missingField),
        Mutation(path: ["occurredAt"], json: #""2025-01-01T10:00:00""#, code: .invalidValue),
        Mutation(path: ["occurredAt"], json: "1735725600", code: .wrongType),
        Mutation(path: ["client"], json: #""010190-10000""#, code: .wrongType),
        Mutation(path: ["client", "type"], json: #""robot""#, code: .invalidValue),
        Mutation(path: ["client", "id"], json: "42", code: .wrongType),
        Mutation(path: ["representative", "id"], json: #""""#, code: .invalidValue),
        Mutation(path: ["result", "link"], json: #""http://www.latvija.gov.lv/cases/1""#, code: .invalidValue),
        Mutation(path: ["result", "link"], json: #""https://""#, code: .invalidValue),
        Mutation(path: ["note"], json: "true", code: .wrongType),
    ]

    @Test("Example's JSON keys equal the schema's properties, recursively")
    func exampleKeysMatchSchema() throws {
        func compare(_ json: [String: Any], _ schema: JSONSchema, at path: String) throws {
            #expect(Set(json.keys) == Set(schema.properties.keys), "key set differs at \(path)")
            for (name, property) in schema.properties where !property.properties.isEmpty {
                let nested = try #require(json[name] as? [String: Any], "\(path).\(name) should be an object")
                try compare(nested, property, at: "\(path).\(name)")
            }
        }
        try compare(TestSupport.exampleJSON(), StatusEvent.jsonSchema, at: "$")
    }

    @Test("Example validates against the schema with zero violations")
    func exampleValidates() throws {
        #expect(StatusEvent.jsonSchema.validate(try TestSupport.exampleJSON()) == [])
    }

    @Test("Example survives encode and decode unchanged")
    func exampleRoundTrips() throws {
        let data = try TopicValueCodec.encode(StatusEvent.example)
        #expect(try TopicValueCodec.decode(StatusEvent.self, from: data, version: 1) == StatusEvent.example)
    }

    @Test("Every required property exists in the schema")
    func requiredPropertiesExist() {
        let schema = StatusEvent.jsonSchema
        #expect(Set(schema.requiredProperties).isSubset(of: Set(schema.properties.keys)))
        #expect(Set(schema.requiredProperties)
            == ["eventId", "caseId", "agency", "serviceId", "channel", "status", "occurredAt"])
    }

    @Test("Removing a property fails decoding iff the schema requires it", arguments: properties)
    func removingProperty(_ property: SchemaProperty) throws {
        let json = TestSupport.replacing(property.path, in: try TestSupport.exampleJSON(), with: nil)
        let violation = try TestSupport.decodeViolation(json)
        let validatorViolations = StatusEvent.jsonSchema.validate(json)
        if property.isRequired {
            #expect(violation?.code == .missingField)
            #expect(violation?.path == TestSupport.jsonPath(property.path))
            #expect(validatorViolations.map(\.code) == [.missingField])
            #expect(validatorViolations.map(\.path) == [TestSupport.jsonPath(property.path)])
        } else {
            #expect(violation == nil)
            #expect(validatorViolations == [])
        }
    }

    @Test("Decoder and validator report the same code and path", arguments: mutations)
    func decoderAndValidatorAgree(_ mutation: Mutation) throws {
        let json = TestSupport.replacing(mutation.path, in: try TestSupport.exampleJSON(), with: try TestSupport.fragment(mutation.json))
        let expectedPath = TestSupport.jsonPath(mutation.path)

        let violation = try #require(try TestSupport.decodeViolation(json))
        #expect(violation.code == mutation.code)
        #expect(violation.path == expectedPath)

        let validatorViolations = StatusEvent.jsonSchema.validate(json)
        #expect(validatorViolations.map(\.code) == [mutation.code])
        #expect(validatorViolations.map(\.path) == [expectedPath])
    }

    @Test("Enum schemas list exactly the Swift cases")
    func enumValuesMatchSwift() throws {
        guard case .string(_, let channels?, _, _, _) = try #require(StatusEvent.jsonSchema.properties["channel"]).kind,
              case .string(_, let statuses?, _, _, _) = try #require(StatusEvent.jsonSchema.properties["status"]).kind
        else {
            Issue.record("channel and status must be enum strings")
            return
        }
        #expect(channels == ["eservice", "portal", "vpvkac", "in_person", "phone", "post", "e_address"])
        #expect(statuses == ["submitted", "accepted", "in_progress", "waiting_for_client", "completed", "refused", "withdrawn"])
    }

    @Test("Kafka key is <AGENCY>/<caseId>")
    func kafkaKey() {
        #expect(StatusEvent.example.kafkaKey == "VID/VID-2025-000123")
    }

    @Test("Encoding is canonical: sorted keys, lowercase UUID, UTC timestamp")
    func canonicalEncoding() throws {
        let text = String(decoding: try TopicValueCodec.encode(StatusEvent.example), as: UTF8.self)
        #expect(text.hasPrefix(#"{"agency":"VID","caseId":"VID-2025-000123","channel":"eservice","client":{"#))
        #expect(text.contains(#""eventId":"7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f""#))
        #expect(text.contains(#""occurredAt":"2025-03-14T07:30:00Z""#))
        #expect(text.contains(#""link":"https://www.latvija.gov.lv/cases/VID-2025-000123""#))
    }
}
