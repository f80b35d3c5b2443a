import Foundation
import Testing
@testable import Topics

@Suite("Versioning rule and decoding violations")
struct VersioningTests {
    @Test("Unknown fields, top-level and nested, are ignored")
    func unknownFieldsAreIgnored() throws {
        var json = try TestSupport.exampleJSON()
        json["priority"] = "high"
        json["attachments"] = [["name": "decision.pdf"]]
        json = TestSupport.replacing(["client", "displayName"], in: json, with: "Jānis")
        let decoded = try TopicValueCodec.decode(StatusEvent.self, from: TestSupport.data(json), version: 1)
        #expect(decoded == StatusEvent.example)
        #expect(StatusEvent.jsonSchema.validate(json) == [])
    }

    @Test("Minimal event with only required fields decodes")
    func minimalEventDecodes() throws {
        let json: [String: Any] = [
            "eventId": "0b7d8a52-2d4c-4a4e-8d7f-1a2b3c4d5e6f", "caseId": "1", "agency": "PMLP",
            "serviceId": "passport", "channel": "portal", "status": "submitted",
            "occurredAt": "2025-01-01T10:00:00.5+02:00",
        ]
        let event = try TopicValueCodec.decode(StatusEvent.self, from: TestSupport.data(json), version: 1)
        #expect(event.client == nil && event.result == nil && event.step == nil)
        #expect(event.occurredAt == Date(timeIntervalSince1970: 1_735_718_400.5))
        #expect(StatusEvent.jsonSchema.validate(json) == [])
    }

    @Test("A version newer than the reader's is unsupported_version", arguments: [2, 17])
    func newerVersionIsRejected(version: Int) throws {
        let violation = try #require(try TestSupport.decodeViolation(TestSupport.exampleJSON(), version: version))
        #expect(violation.code == .unsupportedVersion)
        #expect(violation.code.rawValue == "unsupported_version")
        #expect(violation.path == "$")
    }

    @Test("Version 0 does not exist")
    func versionZeroIsRejected() throws {
        #expect(try TestSupport.decodeViolation(TestSupport.exampleJSON(), version: 0)?.code == .unsupportedVersion)
    }

    @Test("The reader's own version decodes")
    func currentVersionDecodes() throws {
        #expect(try TestSupport.decodeViolation(TestSupport.exampleJSON(), version: StatusEvent.schema.version) == nil)
    }

    @Test("Missing field gives missing_field and its path")
    func missingField() throws {
        let json = TestSupport.replacing(["caseId"], in: try TestSupport.exampleJSON(), with: nil)
        let violation = try #require(try TestSupport.decodeViolation(json))
        #expect(violation.code.rawValue == "missing_field")
        #expect(violation.path == "$.caseId")
    }

    @Test("Missing nested field gives the nested path")
    func missingNestedField() throws {
        let json = TestSupport.replacing(["client", "id"], in: try TestSupport.exampleJSON(), with: nil)
        let violation = try #require(try TestSupport.decodeViolation(json))
        #expect(violation.code == .missingField)
        #expect(violation.path == "$.client.id")
    }

    @Test("Wrong type gives wrong_type and its path")
    func wrongType() throws {
        let json = TestSupport.replacing(["caseId"], in: try TestSupport.exampleJSON(), with: 42)
        let violation = try #require(try TestSupport.decodeViolation(json))
        #expect(violation.code.rawValue == "wrong_type")
        #expect(violation.path == "$.caseId")
    }

    @Test("Unknown enum value gives invalid_value and its path")
    func invalidEnum() throws {
        let json = TestSupport.replacing(["status"], in: try TestSupport.exampleJSON(), with: "archived")
        let violation = try #require(try TestSupport.decodeViolation(json))
        #expect(violation.code.rawValue == "invalid_value")
        #expect(violation.path == "$.status")
    }

    @Test("Timestamp without offset gives invalid_value at occurredAt")
    func timestampWithoutOffset() throws {
        let json = TestSupport.replacing(["occurredAt"], in: try TestSupport.exampleJSON(), with: "2025-01-01T10:00:00")
        let violation = try #require(try TestSupport.decodeViolation(json))
        #expect(violation.code == .invalidValue)
        #expect(violation.path == "$.occurredAt")
    }

    @Test("Bytes that are not JSON give invalid_json at the root", arguments: ["", "{", "not json", "{\"caseId\": }"])
    func invalidJSON(text: String) throws {
        #expect(throws: SchemaViolation.self) {
            try TopicValueCodec.decode(StatusEvent.self, from: Data(text.utf8), version: 1)
        }
        do {
            _ = try TopicValueCodec.decode(StatusEvent.self, from: Data(text.utf8), version: 1)
        } catch {
            #expect(error.code == .invalidJSON)
            #expect(error.path == "$")
        }
    }

    @Test("A JSON array instead of an object is wrong_type at the root")
    func rootArray() throws {
        do {
            _ = try TopicValueCodec.decode(StatusEvent.self, from: Data("[1,2]".utf8), version: 1)
            Issue.record("decoding an array must fail")
        } catch {
            #expect(error.code == .wrongType)
            #expect(error.path == "$")
        }
    }

    @Test("Decoding by envelope uses its version and refuses another schema id")
    func decodeByEnvelope() throws {
        let data = try TopicValueCodec.encode(StatusEvent.example)
        let matching = RecordEnvelope(schema: StatusEvent.schema, source: "VID")
        #expect(try TopicValueCodec.decode(StatusEvent.self, from: data, envelope: matching) == StatusEvent.example)

        let newer = RecordEnvelope(schema: SchemaReference(id: "status-event", version: 2), source: "VID")
        do {
            _ = try TopicValueCodec.decode(StatusEvent.self, from: data, envelope: newer)
            Issue.record("a newer version must be refused")
        } catch {
            #expect(error.code == .unsupportedVersion)
        }

        let other = RecordEnvelope(schema: SchemaReference(id: "notify-request", version: 1), source: "hub/notify-dispatch")
        do {
            _ = try TopicValueCodec.decode(StatusEvent.self, from: data, envelope: other)
            Issue.record("a different schema id must be refused")
        } catch {
            #expect(error.code.rawValue == "schema_mismatch")
        }
    }
}
