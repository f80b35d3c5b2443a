import Foundation
import Testing
@testable import Topics

@Suite("JSON Schema rendering and validation")
struct JSONSchemaTests {
    static let sample = JSONSchema.object(
        [
            "id": .string(format: .uuid),
            "at": .string(format: .dateTime),
            "home": .string(format: .uri),
            "code": .string(minLength: 2, maxLength: 4, pattern: "^[A-Z]+$"),
            "kind": .oneOf(PartyType.self),
            "count": .integer(minimum: 0, maximum: 10),
            "ratio": .number(),
            "active": .boolean(),
            "tags": .array(of: .string(minLength: 1)),
            "owner": .object(["name": .string()], required: ["name"]),
        ],
        required: ["id", "count"]
    ).document(SchemaReference(id: "sample", version: 3), title: "Sample", description: "Test schema.")

    static func validate(_ json: String) throws -> [SchemaViolation] {
        sample.validate(try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    @Test("Rendered document has header fields, sorted keys, 2-space indent and a trailing newline")
    func rendering() throws {
        let text = String(decoding: Self.sample.rendered(), as: UTF8.self)
        #expect(text.hasPrefix("{\n  \"$id\" : \"https://hub.gov.lv/schemas/sample.v3.json\",\n  \"$schema\" : \"https://json-schema.org/draft/2020-12/schema\",\n"))
        #expect(text.hasSuffix("}\n") && !text.hasSuffix("\n\n"))
        let object = try TestSupport.jsonObject(Self.sample.rendered())
        #expect(object["title"] as? String == "Sample")
        #expect(object["description"] as? String == "Test schema.")
        #expect(object["required"] as? [String] == ["count", "id"])
        #expect(object["additionalProperties"] as? Bool == true)
        let properties = try #require(object["properties"] as? [String: Any])
        let kind = try #require(properties["kind"] as? [String: Any])
        #expect(kind["enum"] as? [String] == ["person", "company"])
        let code = try #require(properties["code"] as? [String: Any])
        #expect(code["minLength"] as? Int == 2 && code["maxLength"] as? Int == 4 && code["pattern"] as? String == "^[A-Z]+$")
        #expect(Self.sample.rendered() == Self.sample.rendered())
    }

    @Test("Nested nodes carry no $id or $schema")
    func nestedNodesAreBare() throws {
        let object = try TestSupport.jsonObject(StatusEvent.jsonSchema.rendered())
        let client = try #require((object["properties"] as? [String: Any])?["client"] as? [String: Any])
        #expect(client["$id"] == nil && client["$schema"] == nil)
        #expect(client["required"] as? [String] == ["id", "type"])
    }

    @Test("A valid document has no violations")
    func valid() throws {
        #expect(try Self.validate("""
            {"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "at": "2025-01-01T10:00:00+02:00", "home": "https://hub.gov.lv",
             "code": "AB", "kind": "company", "count": 3, "ratio": 0.5, "active": false, "tags": ["a"],
             "owner": {"name": "x"}, "extra": {"anything": [1, 2]}}
            """) == [])
        #expect(try Self.validate(#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 3.0, "owner": null}"#) == [])
    }

    @Test("Violations carry code and path", arguments: [
        (#"{"count": 1}"#, "missing_field", "$.id"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f"}"#, "missing_field", "$.count"),
        (#"{"id": 5, "count": 1}"#, "wrong_type", "$.id"),
        (#"{"id": "nope", "count": 1}"#, "invalid_value", "$.id"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1.5}"#, "wrong_type", "$.count"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": true}"#, "wrong_type", "$.count"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 11}"#, "invalid_value", "$.count"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": -1}"#, "invalid_value", "$.count"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "active": 1}"#, "wrong_type", "$.active"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "ratio": "1"}"#, "wrong_type", "$.ratio"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "at": "2025-01-01T10:00:00"}"#, "invalid_value", "$.at"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "home": "no scheme"}"#, "invalid_value", "$.home"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "code": "A"}"#, "invalid_value", "$.code"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "code": "ABCDE"}"#, "invalid_value", "$.code"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "code": "ab"}"#, "invalid_value", "$.code"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "kind": "robot"}"#, "invalid_value", "$.kind"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "tags": "a"}"#, "wrong_type", "$.tags"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "tags": ["a", ""]}"#, "invalid_value", "$.tags[1]"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "owner": {}}"#, "missing_field", "$.owner.name"),
        (#"{"id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 1, "owner": []}"#, "wrong_type", "$.owner"),
    ])
    func violation(json: String, code: String, path: String) throws {
        let violations = try Self.validate(json)
        #expect(violations.map(\.code.rawValue) == [code])
        #expect(violations.map(\.path) == [path])
    }

    @Test("Every violation is reported, not just the first")
    func collectsAll() throws {
        let violations = try Self.validate(#"{"id": 1, "code": "a", "owner": {}}"#)
        #expect(Set(violations.map(\.path)) == ["$.id", "$.count", "$.code", "$.owner.name"])
        #expect(Self.sample.validate([1, 2]).map(\.code) == [.wrongType])
    }

    @Test("Swift-built values validate like parsed JSON")
    func swiftValues() {
        let ok: [String: Any] = ["id": "7c0d6f8e-3b9a-4c1e-9f2d-5a6b7c8d9e0f", "count": 2, "active": true, "tags": ["x"]]
        #expect(Self.sample.validate(ok) == [])
        var bad = ok
        bad["active"] = 1
        bad["count"] = false
        #expect(Set(Self.sample.validate(bad).map(\.path)) == ["$.active", "$.count"])
    }

    @Test("Schema reference naming")
    func referenceNaming() {
        let reference = SchemaReference(id: "status-event", version: 1)
        #expect(reference.description == "status-event.v1")
        #expect(reference.fileName == "status-event.v1.json")
        #expect(reference.schemaURI == "https://hub.gov.lv/schemas/status-event.v1.json")
    }
}
